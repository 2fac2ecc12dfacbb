using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using TinyGpt.Modeling;
using TinyGpt.Tokenization;
using TinyGpt.Validation;

namespace TinyGpt.Generation;

/// <summary>
/// Generates text from a text prompt: encodes it, decodes with a <see cref="TokenGenerator"/>, and
/// hands out text as it forms. The same four methods as <see cref="TokenGenerator"/>:
/// <see cref="GenerateAsync"/>, <see cref="GenerateStreamingAsync"/>, <see cref="Generate"/> and
/// <see cref="GenerateStreaming"/>.
/// </summary>
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
    /// <exception cref="ArgumentException">The prompt is empty and the tokenizer has no end-of-text token, or it does not fit the context under <see cref="ContextOverflow.Error"/>; or the options are invalid.</exception>
    public async Task<string> GenerateAsync(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var text = new StringBuilder();
        await foreach (var piece in GenerateStreamingAsync(prompt, options, cancellationToken).ConfigureAwait(false))
        {
            text.Append(piece);
        }

        return text.ToString();
    }

    /// <summary>Streams the completion of <paramref name="prompt"/> piece by piece as text forms; the decoding runs on the thread pool.</summary>
    /// <inheritdoc cref="GenerateAsync" path="/exception"/>
    public async IAsyncEnumerable<string> GenerateStreamingAsync(string prompt, GenerationOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (ids, valid) = Prepare(prompt, options);
        var text = new TextAssembler(Tokenizer);
        await foreach (var id in Tokens.GenerateStreamingAsync(ids, valid, cancellationToken).ConfigureAwait(false))
        {
            if (text.Add(id) is { } piece)
            {
                yield return piece;
            }
        }

        if (text.Rest() is { } rest)
        {
            yield return rest;
        }
    }

    /// <summary>As <see cref="GenerateAsync"/>, on the calling thread.</summary>
    /// <inheritdoc cref="GenerateAsync" path="/exception"/>
    public string Generate(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        string.Concat(GenerateStreaming(prompt, options, cancellationToken));

    /// <summary>As <see cref="GenerateStreamingAsync"/>, on the calling thread.</summary>
    /// <inheritdoc cref="GenerateAsync" path="/exception"/>
    public IEnumerable<string> GenerateStreaming(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (ids, valid) = Prepare(prompt, options);
        return Assemble(Tokens.GenerateStreaming(ids, valid, cancellationToken));
    }

    private IEnumerable<string> Assemble(IEnumerable<int> ids)
    {
        var text = new TextAssembler(Tokenizer);
        foreach (var id in ids)
        {
            if (text.Add(id) is { } piece)
            {
                yield return piece;
            }
        }

        if (text.Rest() is { } rest)
        {
            yield return rest;
        }
    }

    private (int[] Ids, GenerationOptions Options) Prepare(string prompt, GenerationOptions? options)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        options = (options ?? new GenerationOptions()).EnsureValid();
        var ids = Tokenizer.Encode(prompt);
        if (ids.Length == 0)
        {
            // An empty prompt starts a new document, which the end-of-text token marks.
            ids = Tokenizer.EndOfTextId is { } eot
                ? [eot]
                : throw new ArgumentException("The prompt is empty and the tokenizer has no end-of-text token to start a new document from; give some text.", nameof(prompt));
        }

        if (options.StopAtEndOfText && Tokenizer.EndOfTextId is { } stop && !options.StopTokenIds.Contains(stop))
        {
            options = options with { StopTokenIds = [.. options.StopTokenIds, stop] };
        }

        return (ids, options);
    }

    /// <summary>
    /// Byte-level tokens can split a UTF-8 character, so it decodes everything generated so far and
    /// hands out only text that is complete (not ending in a replacement character).
    /// </summary>
    private sealed class TextAssembler(ITextTokenizer tokenizer)
    {
        private readonly List<int> _ids = [];
        private int _emitted;

        public string? Add(int id)
        {
            _ids.Add(id);
            var text = tokenizer.Decode(CollectionsMarshal.AsSpan(_ids));
            if (text.Length <= _emitted || text[^1] == '\uFFFD')
            {
                return null;
            }

            var piece = text[_emitted..];
            _emitted = text.Length;
            return piece;
        }

        public string? Rest()
        {
            var text = tokenizer.Decode(CollectionsMarshal.AsSpan(_ids));
            return text.Length > _emitted ? text[_emitted..] : null;
        }
    }
}
