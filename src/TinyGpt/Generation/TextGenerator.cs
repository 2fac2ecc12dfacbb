using System.Runtime.CompilerServices;
using System.Text;
using TinyGpt.Modeling;
using TinyGpt.Tokenization;

namespace TinyGpt.Generation;

/// <summary>Generates text from a text prompt: encodes, decodes with <see cref="TokenGenerator"/>, and streams text as it forms.</summary>
/// <remarks>Thread-safe: concurrent calls take turns, one whole generation at a time.</remarks>
public sealed class TextGenerator
{
    /// <summary>Creates a generator from a model and the tokenizer it was trained with.</summary>
    /// <exception cref="ArgumentException">The tokenizer's vocabulary does not fit the model.</exception>
    public TextGenerator(GptModel model, ITextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (tokenizer.VocabSize > model.Config.VocabSize)
        {
            throw new ArgumentException($"The tokenizer has {tokenizer.VocabSize} tokens but the model only {model.Config.VocabSize}: they were not trained together.", nameof(tokenizer));
        }

        Tokens = new TokenGenerator(model);
        Tokenizer = tokenizer;
    }

    /// <summary>The token-level generator underneath.</summary>
    public TokenGenerator Tokens { get; }

    /// <summary>The tokenizer that turns text into ids and back.</summary>
    public ITextTokenizer Tokenizer { get; }

    /// <summary>Generates a completion of <paramref name="prompt"/> and returns it (without the prompt).</summary>
    public string Generate(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var builder = new StringBuilder();
        foreach (var piece in Stream(prompt, options, cancellationToken))
        {
            builder.Append(piece);
        }

        return builder.ToString();
    }

    /// <summary>Streams the completion of <paramref name="prompt"/> piece by piece; the work runs off the caller's thread.</summary>
    public async IAsyncEnumerable<string> GenerateStreamingAsync(string prompt, GenerationOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var enumerator = Stream(prompt, options, cancellationToken).GetEnumerator();
        while (await Task.Run(enumerator.MoveNext, cancellationToken).ConfigureAwait(false))
        {
            yield return enumerator.Current;
        }
    }

    /// <summary>Generates a completion on a thread-pool thread.</summary>
    public Task<string> GenerateAsync(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Generate(prompt, options, cancellationToken), cancellationToken);

    /// <summary>Streams the completion synchronously, piece by piece, as text forms.</summary>
    public IEnumerable<string> Stream(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        options ??= new GenerationOptions();
        var ids = Tokenizer.Encode(prompt);
        if (ids.Length == 0)
        {
            // An empty prompt starts a new document, which the end-of-text token marks.
            ids = Tokenizer.EndOfTextId is { } eot
                ? [eot]
                : throw new ArgumentException("The prompt is empty and the tokenizer has no end-of-text token to start from; give some text.", nameof(prompt));
        }

        if (options.StopAtEndOfText && Tokenizer.EndOfTextId is { } stop && !options.StopTokenIds.Contains(stop))
        {
            options = options with { StopTokenIds = [.. options.StopTokenIds, stop] };
        }

        return StreamCore(ids, options, cancellationToken);
    }

    private IEnumerable<string> StreamCore(int[] prompt, GenerationOptions options, CancellationToken cancellationToken)
    {
        // Byte-level tokens can split a UTF-8 character, so decode everything generated so far and
        // hand out only text that is complete (not ending in a replacement character).
        var generated = new List<int>();
        var emitted = 0;
        foreach (var id in Tokens.Generate(prompt, options, cancellationToken))
        {
            generated.Add(id);
            var text = Tokenizer.Decode(CollectionsMarshalSpan(generated));
            if (text.Length > emitted && text[^1] != '\uFFFD')
            {
                yield return text[emitted..];
                emitted = text.Length;
            }
        }

        var final = Tokenizer.Decode(CollectionsMarshalSpan(generated));
        if (final.Length > emitted)
        {
            yield return final[emitted..];
        }
    }

    private static ReadOnlySpan<int> CollectionsMarshalSpan(List<int> list) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list);
}
