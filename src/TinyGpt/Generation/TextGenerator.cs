using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using TinyGpt.Modeling;
using TinyGpt.Telemetry;
using TinyGpt.Tokenization;
using TinyGpt.Validation;

namespace TinyGpt.Generation;

/// <summary>
/// Generates text from a text prompt: encodes it, decodes with a <see cref="TokenGenerator"/>, and
/// hands out text as it forms. The same four methods as <see cref="TokenGenerator"/>:
/// <see cref="GenerateAsync"/>, <see cref="GenerateStreamingAsync"/>, <see cref="Generate"/> and
/// <see cref="GenerateStreaming"/>.
/// </summary>
/// <remarks>Thread-safe: concurrent calls are decoded together in one batch (see <see cref="TokenGenerator"/>), each with its own stops and seed.</remarks>
public sealed class TextGenerator
{
    /// <summary>Creates a generator from a model and the tokenizer it was trained with.</summary>
    /// <exception cref="ArgumentException">The tokenizer's vocabulary does not fit the model.</exception>
    /// <param name="model">The model that generates.</param>
    /// <param name="tokenizer">The tokenizer the model was trained with.</param>
    /// <param name="maxBatchSize">Most generations decoded together (<see cref="TokenGenerator.MaxBatchSize"/>).</param>
    public TextGenerator(GptModel model, ITextTokenizer tokenizer, int maxBatchSize = 16)
        : this(new TokenGenerator(model ?? throw new ArgumentNullException(nameof(model)), maxBatchSize), tokenizer)
    {
    }

    /// <summary>Creates a generator over a configured token generator (its batch limit, its <see cref="TokenGenerator.IdleTimeout"/>) and the tokenizer its model was trained with.</summary>
    /// <exception cref="ArgumentException">The tokenizer's vocabulary does not fit the model.</exception>
    /// <param name="tokens">The token-level generator that decodes.</param>
    /// <param name="tokenizer">The tokenizer the model was trained with.</param>
    public TextGenerator(TokenGenerator tokens, ITextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (tokenizer.VocabSize > tokens.Model.Config.VocabSize)
        {
            throw new ArgumentException($"The tokenizer has {tokenizer.VocabSize} tokens but the model only {tokens.Model.Config.VocabSize}: they were not trained together.", nameof(tokenizer));
        }

        Tokens = tokens;
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
        await foreach (var update in GenerateUpdatesAsync(prompt, options, cancellationToken).ConfigureAwait(false))
        {
            if (update.Text.Length > 0)
            {
                yield return update.Text;
            }
        }
    }

    /// <summary>
    /// As <see cref="GenerateStreamingAsync"/>, with token counts on every update and, on the last,
    /// why the generation ended: what a chat client needs for usage and finish reasons.
    /// </summary>
    /// <inheritdoc cref="GenerateAsync" path="/exception"/>
    public async IAsyncEnumerable<TextGenerationUpdate> GenerateUpdatesAsync(string prompt, GenerationOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (ids, valid) = Prepare(prompt, options);
        using var completion = new Completion(Tokenizer, valid, PromptTokens(ids));
        await foreach (var id in Tokens.GenerateStreamingAsync(ids, valid, cancellationToken).ConfigureAwait(false))
        {
            if (completion.Add(id) is { } update)
            {
                yield return update;
            }

            if (completion.Stopped)
            {
                break;
            }
        }

        yield return completion.Finish();
    }

    /// <summary>
    /// Generates a completion for every prompt at once, decoded in one batch, with the same
    /// <paramref name="options"/> for each (the same seed gives each prompt its lone output).
    /// </summary>
    /// <exception cref="ArgumentException">A prompt or the options are invalid; nothing is generated.</exception>
    public Task<string[]> GenerateBatchAsync(IReadOnlyList<string> prompts, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var shared = options ?? new GenerationOptions();
        return GenerateBatchAsync(prompts, [.. prompts.Select(_ => shared)], cancellationToken);
    }

    /// <summary>Generates a completion for every prompt at once, each with its own options: stop strings and tokens, limits, sampling and seed.</summary>
    /// <exception cref="ArgumentException">The counts of prompts and options differ, or a prompt or its options are invalid; nothing is generated.</exception>
    public async Task<string[]> GenerateBatchAsync(IReadOnlyList<string> prompts, IReadOnlyList<GenerationOptions> options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        GenerationOptions.EnsureOnePerPrompt(options, prompts.Count);

        // Every prompt is checked before any starts, so a bad one fails the call, not a row.
        for (var i = 0; i < prompts.Count; i++)
        {
            var (ids, valid) = Prepare(prompts[i], options[i]);
            Tokens.Prepare(ids, valid);
        }

        return await Task.WhenAll(prompts.Select((prompt, i) => GenerateAsync(prompt, options[i], cancellationToken))).ConfigureAwait(false);
    }

    /// <summary>As <see cref="GenerateAsync"/>, blocking the calling thread.</summary>
    /// <inheritdoc cref="GenerateAsync" path="/exception"/>
    public string Generate(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        string.Concat(GenerateStreaming(prompt, options, cancellationToken));

    /// <summary>As <see cref="GenerateStreamingAsync"/>, blocking the calling thread while it waits for each piece.</summary>
    /// <inheritdoc cref="GenerateAsync" path="/exception"/>
    public IEnumerable<string> GenerateStreaming(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (ids, valid) = Prepare(prompt, options);
        return Assemble(Tokens.GenerateStreaming(ids, valid, cancellationToken), valid, PromptTokens(ids));
    }

    // An iterator, so the completion (and its telemetry activity) starts only when enumeration does.
    private IEnumerable<string> Assemble(IEnumerable<int> ids, GenerationOptions options, int promptTokens)
    {
        using var completion = new Completion(Tokenizer, options, promptTokens);
        foreach (var id in ids)
        {
            if (completion.Add(id) is { Text.Length: > 0 } update)
            {
                yield return update.Text;
            }

            if (completion.Stopped)
            {
                break;
            }
        }

        if (completion.Finish() is { Text.Length: > 0 } last)
        {
            yield return last.Text;
        }
    }

    // What the model reads of the prompt: the token generator keeps at most a context's worth.
    private int PromptTokens(int[] ids) => Math.Min(ids.Length, Tokens.Model.Config.ContextLength);

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
    /// Turns generated ids into text updates. Byte-level tokens can split a UTF-8 character, so it
    /// decodes everything generated so far and hands out only text that is complete (not ending in a
    /// replacement character), then holds back what could still begin a stop string.
    /// </summary>
    /// <remarks>It also reports the generation to <see cref="TinyGptTelemetry"/>: an activity from creation to finish, and the meter's counts and times.</remarks>
    private sealed class Completion : IDisposable
    {
        private readonly List<int> _ids = [];
        private readonly ITextTokenizer _tokenizer;
        private readonly GenerationOptions _options;
        private readonly int _promptTokens;
        private readonly StopStringFilter _stops;
        private readonly long _started = Stopwatch.GetTimestamp();
        private readonly Activity? _activity;
        private int _decoded;

        public Completion(ITextTokenizer tokenizer, GenerationOptions options, int promptTokens)
        {
            (_tokenizer, _options, _promptTokens) = (tokenizer, options, promptTokens);
            _stops = new StopStringFilter(options.StopStrings);
            _activity = TinyGptTelemetry.Source.StartActivity("tinygpt.generate")?.SetTag("tinygpt.generation.prompt_tokens", promptTokens);
        }

        public bool Stopped => _stops.Stopped;

        public TextGenerationUpdate? Add(int id)
        {
            if (_ids.Count == 0)
            {
                TinyGptTelemetry.TimeToFirstToken.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds);
            }

            _ids.Add(id);
            var text = _tokenizer.Decode(CollectionsMarshal.AsSpan(_ids));
            if (text.Length <= _decoded || text[^1] == '\uFFFD')
            {
                return null;
            }

            var piece = text[_decoded..];
            _decoded = text.Length;
            return new TextGenerationUpdate(_stops.Push(piece), _promptTokens, _ids.Count, null);
        }

        public TextGenerationUpdate Finish()
        {
            var rest = string.Empty;
            if (!_stops.Stopped)
            {
                var text = _tokenizer.Decode(CollectionsMarshal.AsSpan(_ids));
                rest = _stops.Push(text.Length > _decoded ? text[_decoded..] : string.Empty) + _stops.Flush();
            }

            var reason = _stops.Stopped ? GenerationFinishReason.StopString
                : _ids.Count >= _options.MaxNewTokens ? GenerationFinishReason.MaxNewTokens
                : GenerationFinishReason.StopToken;
            var finish = new KeyValuePair<string, object?>("tinygpt.generation.finish_reason", reason.ToString());
            TinyGptTelemetry.GeneratedTokens.Add(_ids.Count);
            TinyGptTelemetry.GenerationDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, finish);
            _activity?.SetTag("tinygpt.generation.tokens", _ids.Count).SetTag(finish.Key, finish.Value);
            return new TextGenerationUpdate(rest, _promptTokens, _ids.Count, reason);
        }

        // Ends the activity, also when the caller stopped early or the generation was cancelled.
        public void Dispose() => _activity?.Dispose();
    }
}
