using System.Runtime.CompilerServices;
using TinyGpt.Modeling;
using static TorchSharp.torch;

namespace TinyGpt.Generation;

/// <summary>
/// Autoregressive decoding on token ids with a KV cache: the prompt is run once (prefill), then
/// each new token costs one single-position forward pass.
/// </summary>
/// <remarks>
/// Generation puts the model in evaluation mode. Generations on one instance are serialised (one
/// whole generation at a time), so a single model can be shared by concurrent callers. Do not
/// train the model while it generates.
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

    /// <summary>Generates up to <see cref="GenerationOptions.MaxNewTokens"/> tokens after <paramref name="prompt"/>, yielding each one as soon as it is chosen.</summary>
    /// <exception cref="ArgumentException">The prompt is empty, holds ids outside the vocabulary, or does not fit the context under <see cref="ContextOverflow.Error"/>; or the options are invalid.</exception>
    public IEnumerable<int> Generate(IReadOnlyList<int> prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        options = (options ?? new GenerationOptions()).EnsureValid();
        var context = PrepareContext(prompt, options);
        return Run(context, options, cancellationToken);
    }

    /// <summary>Generates all tokens and returns them (the prompt not included).</summary>
    public int[] GenerateAll(IReadOnlyList<int> prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        Generate(prompt, options, cancellationToken).ToArray();

    /// <summary>Streams generated tokens; the work runs off the caller's thread, and cancellation stops it between tokens.</summary>
    public async IAsyncEnumerable<int> GenerateAsync(IReadOnlyList<int> prompt, GenerationOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        options = (options ?? new GenerationOptions()).EnsureValid();
        var context = PrepareContext(prompt, options);
        using var enumerator = Run(context, options, cancellationToken).GetEnumerator();
        while (await Task.Run(enumerator.MoveNext, cancellationToken).ConfigureAwait(false))
        {
            yield return enumerator.Current;
        }
    }

    private List<int> PrepareContext(IReadOnlyList<int> prompt, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(prompt);
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
        return prompt.Skip(start).ToList();
    }

    private IEnumerable<int> Run(List<int> tokens, GenerationOptions options, CancellationToken cancellationToken)
    {
        _gate.Wait(cancellationToken);
        try
        {
            Model.eval();
            using var sampler = new Sampler(options.Sampling);
            using var cache = UseKvCache ? Model.CreateCache() : null;
            var stops = new HashSet<int>(options.StopTokenIds);
            var history = new List<int>(tokens);
            var contextLength = Model.Config.ContextLength;
            var logits = Step(tokens, cache, prefill: true);
            for (var i = 0; i < options.MaxNewTokens; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int next;
                using (logits)
                {
                    next = sampler.Sample(logits, options.Sampling.RepetitionPenalty != 1.0 ? [history] : null)[0];
                }

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
            _gate.Release();
        }
    }

    // Returns the logits of the last position, shape [1, vocab].
    private Tensor Step(List<int> tokens, KvCache? cache, bool prefill)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = cache is null || prefill
            ? tensor(tokens.Select(t => (long)t).ToArray(), device: Model.Device).unsqueeze(0)
            : tensor(new long[] { tokens[^1] }, device: Model.Device).unsqueeze(0);
        var logits = Model.forward(input, cache, lastPositionOnly: true);
        return logits[.., -1, ..].MoveToOuterDisposeScope();
    }
}
