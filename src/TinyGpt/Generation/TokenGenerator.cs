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
/// <see cref="Generate"/> / <see cref="GenerateStreaming"/> do the same on the calling thread.
/// </para>
/// <para>
/// Generation puts the model in evaluation mode. Generations on one instance take turns (one whole
/// generation at a time), so one model can serve concurrent callers; asynchronous callers wait
/// for their turn without holding a thread. Do not train the model while it generates.
/// </para>
/// </remarks>
public sealed class TokenGenerator
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Creates a generator over <paramref name="model"/>.</summary>
    public TokenGenerator(GptModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
    }

    /// <summary>The model that generates.</summary>
    public GptModel Model { get; }

    /// <summary>Whether decoding uses the KV cache; turning it off recomputes the whole sequence for every token (for benchmarks and tests only).</summary>
    internal bool UseKvCache { get; init; } = true;

    /// <summary>Whether cached decoding multiplies through transposed weight copies made when a generation starts (<c>DecodeWeights</c>); off only to measure what they buy.</summary>
    internal bool UseDecodeLayout { get; init; } = true;

    /// <summary>Generates up to <see cref="GenerationOptions.MaxNewTokens"/> tokens after <paramref name="prompt"/> and returns them (the prompt not included).</summary>
    /// <exception cref="ArgumentException">The prompt is empty, holds ids outside the vocabulary, or does not fit the context under <see cref="ContextOverflow.Error"/>; or the options are invalid.</exception>
    public async Task<int[]> GenerateAsync(IReadOnlyList<int> prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var tokens = new List<int>();
        await foreach (var token in GenerateStreamingAsync(prompt, options, cancellationToken).ConfigureAwait(false))
        {
            tokens.Add(token);
        }

        return [.. tokens];
    }

    /// <summary>Yields each generated token as soon as it is chosen; the decoding runs on the thread pool, and cancellation stops it between tokens.</summary>
    /// <inheritdoc cref="GenerateAsync" path="/exception"/>
    public async IAsyncEnumerable<int> GenerateStreamingAsync(IReadOnlyList<int> prompt, GenerationOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (context, valid) = Prepare(prompt, options);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var enumerator = Decode(context, valid, cancellationToken).GetEnumerator();
            while (await Task.Run(enumerator.MoveNext, cancellationToken).ConfigureAwait(false))
            {
                yield return enumerator.Current;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>As <see cref="GenerateAsync"/>, on the calling thread.</summary>
    /// <inheritdoc cref="GenerateAsync" path="/exception"/>
    public int[] Generate(IReadOnlyList<int> prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        [.. GenerateStreaming(prompt, options, cancellationToken)];

    /// <summary>As <see cref="GenerateStreamingAsync"/>, on the calling thread.</summary>
    /// <inheritdoc cref="GenerateAsync" path="/exception"/>
    public IEnumerable<int> GenerateStreaming(IReadOnlyList<int> prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (context, valid) = Prepare(prompt, options);
        return Gated(context, valid, cancellationToken);
    }

    private IEnumerable<int> Gated(List<int> context, GenerationOptions options, CancellationToken cancellationToken)
    {
        _gate.Wait(cancellationToken);
        try
        {
            foreach (var token in Decode(context, options, cancellationToken))
            {
                yield return token;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    // Checked before anything runs, so that bad input fails at the call, not at the first MoveNext.
    private (List<int> Context, GenerationOptions Options) Prepare(IReadOnlyList<int> prompt, GenerationOptions? options)
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

    private IEnumerable<int> Decode(List<int> tokens, GenerationOptions options, CancellationToken cancellationToken)
    {
        Model.eval();
        var sampler = new Sampler(options.Sampling);
        using var cache = UseKvCache ? Model.CreateCache(1, UseDecodeLayout) : null;
        var stops = new HashSet<int>(options.StopTokenIds);
        var history = new List<int>(tokens);
        var contextLength = Model.Config.ContextLength;
        var logits = Step(tokens, cache, prefill: true);
        try
        {
            for (var i = 0; i < options.MaxNewTokens; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var next = sampler.Sample(logits, options.Sampling.UsesHistory ? [history] : null)[0];
                logits.Dispose();
                if (stops.Contains(next))
                {
                    yield break;
                }

                yield return next;
                history.Add(next);
                tokens.Add(next);
                if (i == options.MaxNewTokens - 1)
                {
                    yield break;
                }

                if (tokens.Count > contextLength)
                {
                    // Only reachable with KeepLastTokens: keep the most recent three quarters of the
                    // context and prefill them again, leaving room to continue.
                    tokens.RemoveRange(0, tokens.Count - (contextLength * 3 / 4));
                    cache?.Reset();
                    logits = Step(tokens, cache, prefill: true);
                }
                else
                {
                    logits = Step(tokens, cache, prefill: false);
                }
            }
        }
        finally
        {
            logits.Dispose();
        }
    }

    // Returns the logits of the last position, shape [1, vocab]; the caller owns them.
    private Tensor Step(List<int> tokens, KvCache? cache, bool prefill)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = cache is null || prefill
            ? tensor(tokens.Select(t => (long)t).ToArray(), device: Model.Device).unsqueeze(0)
            : tensor(new long[] { tokens[^1] }, device: Model.Device).unsqueeze(0);
        var logits = Model.forward(input, cache, lastPositionOnly: true);
        return logits[.., -1, ..].DetachFromDisposeScope();
    }
}
