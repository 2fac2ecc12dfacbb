using System.Runtime.CompilerServices;
using TinyGpt.Modeling;
using TinyGpt.Validation;
using static TorchSharp.torch;

namespace TinyGpt.Generation;

/// <summary>
/// Autoregressive decoding on token ids with a KV cache: the prompt is run once (prefill), then
/// each new token costs one single-position forward pass.
/// </summary>
/// <remarks>
/// <para>
/// Four methods, as in Microsoft.Extensions.AI: <see cref="GenerateAsync"/> returns every token,
/// <see cref="GenerateStreamingAsync"/> yields each as soon as it is chosen, and
/// <see cref="Generate"/> / <see cref="GenerateStreaming"/> do the same blocking the calling
/// thread. <see cref="GenerateBatchAsync(IReadOnlyList{IReadOnlyList{int}}, IReadOnlyList{GenerationOptions}, CancellationToken)"/>
/// generates for several prompts at once.
/// </para>
/// <para>
/// Thread-safe, and concurrent generations are decoded together (continuous batching): a request
/// that arrives while others decode joins the running batch at the next step, up to
/// <see cref="MaxBatchSize"/> at a time, and leaves it when done. Decoding one token reads every
/// weight whether one sequence or many are decoded, so the batch costs little more than one
/// sequence. Each request computes what it would alone: its own positions and cached keys, its own
/// stops and seed; greedy and seeded outputs are the same tokens as generating it alone.
/// </para>
/// <para>Generation puts the model in evaluation mode. Do not train the model while it generates.</para>
/// </remarks>
public sealed class TokenGenerator
{
    private readonly Lazy<ContinuousBatcher> _batcher;

    /// <summary>Creates a generator over <paramref name="model"/>.</summary>
    /// <param name="model">The model that generates.</param>
    /// <param name="maxBatchSize">Most generations decoded together; more wait for a free row. The KV cache grows with the rows in use, not with this limit.</param>
    public TokenGenerator(GptModel model, int maxBatchSize = 16)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        Model = model;
        MaxBatchSize = maxBatchSize;
        _batcher = new(() => new ContinuousBatcher(Model, MaxBatchSize, UseDecodeLayout, IdleTimeout));
    }

    /// <summary>The model that generates.</summary>
    public GptModel Model { get; }

    /// <summary>Most generations decoded together.</summary>
    public int MaxBatchSize { get; }

    /// <summary>
    /// How long the generator keeps its KV cache and weight copies after its last generation ends,
    /// so that the next one starts without making them again (5 seconds by default;
    /// <see cref="TimeSpan.Zero"/> frees them at once, <see cref="Timeout.InfiniteTimeSpan"/> never).
    /// A generation that starts on kept copies first checks the weights for changes, so weights
    /// trained or loaded in between are always used.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, other than <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    public TimeSpan IdleTimeout
    {
        get;
        init => field = value >= TimeSpan.Zero || value == Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "The idle timeout must be zero or more, or Timeout.InfiniteTimeSpan.");
    } = TimeSpan.FromSeconds(5);

    /// <summary>Whether decoding uses the KV cache; turning it off recomputes the whole sequence for every token (for benchmarks and tests only: one generation at a time).</summary>
    internal bool UseKvCache { get; init; } = true;

    /// <summary>Whether cached decoding multiplies through packed weight copies made when a generation starts (<c>DecodeWeights</c>); off only to measure what they buy.</summary>
    internal bool UseDecodeLayout { get; init; } = true;

    /// <summary>The loop that decodes this generator's requests together.</summary>
    internal ContinuousBatcher Batcher => _batcher.Value;

    /// <summary>Generates up to <see cref="GenerationOptions.MaxNewTokens"/> tokens after <paramref name="prompt"/> and returns them (the prompt not included).</summary>
    /// <exception cref="ArgumentException">The prompt is empty, holds ids outside the vocabulary, or does not fit the context under <see cref="ContextOverflow.Error"/>; or the options are invalid.</exception>
    public async Task<int[]> GenerateAsync(IReadOnlyList<int> prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (context, valid) = Prepare(prompt, options);
        return await Whole(context, valid, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Yields each generated token as soon as it is chosen; decoding runs on the generator's own thread, and cancellation or leaving the loop frees the request's row at the next step.</summary>
    /// <inheritdoc cref="GenerateAsync" path="/exception"/>
    public async IAsyncEnumerable<int> GenerateStreamingAsync(IReadOnlyList<int> prompt, GenerationOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (context, valid) = Prepare(prompt, options);
        if (!UseKvCache)
        {
            foreach (var token in Recompute(context, valid, cancellationToken))
            {
                yield return token;
            }

            yield break;
        }

        using var request = _batcher.Value.Submit(context, valid, cancellationToken);
        while (await request.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            // Tokens already decoded wait in the channel; a cancelled caller gets none of them.
            while (!cancellationToken.IsCancellationRequested && request.Reader.TryRead(out var token))
            {
                yield return token;
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>As <see cref="GenerateAsync"/>, blocking the calling thread.</summary>
    /// <inheritdoc cref="GenerateAsync" path="/exception"/>
    public int[] Generate(IReadOnlyList<int> prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (context, valid) = Prepare(prompt, options);
        return Whole(context, valid, cancellationToken).GetAwaiter().GetResult();
    }

    /// <summary>As <see cref="GenerateStreamingAsync"/>, blocking the calling thread while it waits for each token.</summary>
    /// <inheritdoc cref="GenerateAsync" path="/exception"/>
    public IEnumerable<int> GenerateStreaming(IReadOnlyList<int> prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (context, valid) = Prepare(prompt, options);
        return UseKvCache ? Blocking(context, valid, cancellationToken) : Recompute(context, valid, cancellationToken);
    }

    /// <summary>
    /// Generates for every prompt at once, all decoded in one batch (with any other generations
    /// running), with the same <paramref name="options"/> for each: the same seed gives a prompt
    /// the same output it would get alone. Returns the tokens of each prompt, in order.
    /// </summary>
    /// <exception cref="ArgumentException">A prompt is invalid (as for <see cref="GenerateAsync"/>); nothing is generated.</exception>
    public Task<int[][]> GenerateBatchAsync(IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var shared = options ?? new GenerationOptions();
        return GenerateBatchAsync(prompts, [.. prompts.Select(_ => shared)], cancellationToken);
    }

    /// <summary>
    /// Generates for every prompt at once with its own options (stop tokens, limits, sampling and
    /// seed); rows that finish early leave the batch. Returns the tokens of each prompt, in order.
    /// </summary>
    /// <exception cref="ArgumentException">The counts of prompts and options differ, or a prompt or its options are invalid; nothing is generated.</exception>
    public async Task<int[][]> GenerateBatchAsync(IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<GenerationOptions> options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        GenerationOptions.EnsureOnePerPrompt(options, prompts.Count);

        // Every prompt is checked before any is queued, so a bad one fails the call, not a row.
        var prepared = prompts.Select((prompt, i) => Prepare(prompt, options[i])).ToList();
        if (!UseKvCache)
        {
            return [.. prepared.Select(p => Recompute(p.Context, p.Options, cancellationToken).ToArray())];
        }

        var requests = _batcher.Value.SubmitAll(prepared, cancellationToken);
        try
        {
            return await Task.WhenAll(requests.Select(r => Collect(r, cancellationToken))).ConfigureAwait(false);
        }
        finally
        {
            foreach (var request in requests)
            {
                request.Dispose();
            }
        }
    }

    // Waits once for the whole generation: a caller woken for every token takes a core from the
    // decoding threads on a small machine (measured: 0.6 ms a token for the tiny preset).
    private async Task<int[]> Whole(List<int> context, GenerationOptions options, CancellationToken cancellationToken)
    {
        if (!UseKvCache)
        {
            return [.. Recompute(context, options, cancellationToken)];
        }

        using var request = _batcher.Value.Submit(context, options, cancellationToken);
        return await Collect(request, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int[]> Collect(ContinuousBatcher.Request request, CancellationToken cancellationToken)
    {
        await request.Finished.WaitAsync(cancellationToken).ConfigureAwait(false);
        return [.. Drain(request, cancellationToken)];
    }

    private IEnumerable<int> Blocking(List<int> context, GenerationOptions options, CancellationToken cancellationToken)
    {
        using var request = _batcher.Value.Submit(context, options, cancellationToken);
        foreach (var token in Drain(request, cancellationToken))
        {
            yield return token;
        }
    }

    private static IEnumerable<int> Drain(ContinuousBatcher.Request request, CancellationToken cancellationToken)
    {
        while (request.Reader.WaitToReadAsync(cancellationToken).AsTask().GetAwaiter().GetResult())
        {
            // Tokens already decoded wait in the channel; a cancelled caller gets none of them.
            while (!cancellationToken.IsCancellationRequested && request.Reader.TryRead(out var token))
            {
                yield return token;
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    // Checked before anything runs, so that bad input fails at the call, not at the first MoveNext.
    internal (List<int> Context, GenerationOptions Options) Prepare(IReadOnlyList<int> prompt, GenerationOptions? options)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        options = (options ?? new GenerationOptions()).EnsureValid();
        if (prompt.Count == 0)
        {
            throw new ArgumentException("The prompt is empty; give at least one token (for example the end-of-text token to start a new document).", nameof(prompt));
        }

        var vocab = Model.Config.VocabSize;
        foreach (var id in prompt)
        {
            if (id < 0 || id >= vocab)
            {
                throw new ArgumentException($"The prompt holds token id {id}, outside the model's vocabulary [0, {vocab}).", nameof(prompt));
            }
        }

        var contextLength = Model.Config.ContextLength;
        if (options.ContextOverflow == ContextOverflow.Error && prompt.Count + options.MaxNewTokens - 1 > contextLength)
        {
            throw new ArgumentException(
                $"The prompt ({prompt.Count} tokens) plus {options.MaxNewTokens} new tokens exceeds the model's context of {contextLength} tokens. " +
                $"Shorten the prompt, lower MaxNewTokens, or set ContextOverflow = {nameof(ContextOverflow.KeepLastTokens)} to keep only the most recent tokens.",
                nameof(prompt));
        }

        var start = Math.Max(0, prompt.Count - contextLength);
        return (prompt.Skip(start).ToList(), options);
    }

    // Without a KV cache every token recomputes the whole sequence: what the cache saves, measured.
    private IEnumerable<int> Recompute(List<int> tokens, GenerationOptions options, CancellationToken cancellationToken)
    {
        Model.eval();
        var sampler = new Sampler(options.Sampling);
        var stops = new HashSet<int>(options.StopTokenIds);
        var history = new List<int>(tokens);
        var contextLength = Model.Config.ContextLength;
        for (var i = 0; i < options.MaxNewTokens; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int next;
            using (var scope = NewDisposeScope())
            using (var noGrad = no_grad())
            {
                var input = tensor(tokens.Select(t => (long)t).ToArray(), device: Model.Device).unsqueeze(0);
                var logits = Model.forward(input, null, lastPositionOnly: true);
                next = sampler.Sample(logits[.., -1, ..], options.Sampling.UsesHistory ? [history] : null)[0];
            }

            if (stops.Contains(next))
            {
                yield break;
            }

            yield return next;
            history.Add(next);
            tokens.Add(next);
            if (tokens.Count > contextLength)
            {
                tokens.RemoveRange(0, tokens.Count - (contextLength * 3 / 4));
            }
        }
    }
}
