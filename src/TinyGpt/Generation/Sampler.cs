using System.Runtime.InteropServices;
using TinyGpt.Torch;
using TinyGpt.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Generation;

/// <summary>
/// Chooses next tokens from logits according to <see cref="SamplingOptions"/>, with its own
/// seeded random generator so that a run can be reproduced.
/// </summary>
/// <remarks>Not thread-safe: use one sampler per generation.</remarks>
public sealed class Sampler
{
    private readonly Random _random;
    private readonly CandidateTokens _candidates = new();

    /// <summary>Creates a sampler; the options are validated.</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public Sampler(SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.EnsureValid();
        var seed = options.Seed ?? Random.Shared.NextInt64();
        // A seeded System.Random draws the same sequence on every run and platform.
        _random = new Random(unchecked((int)(seed ^ (seed >> 32))));
    }

    /// <summary>The options this sampler applies.</summary>
    public SamplingOptions Options { get; }

    /// <summary>Chooses one token for each row of <paramref name="logits"/>.</summary>
    /// <param name="logits">Logits of shape [batch, vocab] (or [vocab] for one sequence).</param>
    /// <param name="history">Tokens seen so far for each row, for the repetition penalty; may be null when it is off.</param>
    /// <returns>One token id per row.</returns>
    public int[] Sample(Tensor logits, IReadOnlyList<IReadOnlyCollection<int>>? history = null)
    {
        ArgumentNullException.ThrowIfNull(logits);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = logits.detach().to(ScalarType.Float32).cpu();
        if (x.dim() == 1)
        {
            x = x.unsqueeze(0);
        }

        if (x.dim() != 2)
        {
            throw new ArgumentException($"Expected logits of shape [batch, vocab]; got [{string.Join(", ", logits.shape)}].", nameof(logits));
        }

        return Choose(x.clone(), history, Enumerable.Repeat(this, (int)x.shape[0]).ToArray());
    }

    /// <summary>
    /// Chooses one token for each row of <paramref name="logits"/> ([rows, vocab]) with that row's
    /// own sampler, filtering rows that share their options (all but the seed) in one pass: a row
    /// gets the token its sampler alone would give.
    /// </summary>
    internal static int[] SampleRows(Tensor logits, IReadOnlyList<Sampler> samplers, IReadOnlyList<IReadOnlyCollection<int>> history)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var all = logits.detach().to(ScalarType.Float32).cpu();
        var chosen = new int[samplers.Count];
        foreach (var group in Enumerable.Range(0, samplers.Count).GroupBy(row => samplers[row].Options with { Seed = null }))
        {
            var rows = group.ToArray();
            var x = rows.Length == samplers.Count ? all.clone() : all.index_select(0, tensor(rows.Select(r => (long)r).ToArray()));
            var tokens = samplers[rows[0]].Choose(x, [.. rows.Select(r => history[r])], [.. rows.Select(r => samplers[r])]);
            for (var i = 0; i < rows.Length; i++)
            {
                chosen[rows[i]] = tokens[i];
            }
        }

        return chosen;
    }

    // x: float32 logits on the host that may be changed in place, one row per drawer; every drawer
    // has this sampler's options, and draws its row with its own random state.
    private int[] Choose(Tensor x, IReadOnlyList<IReadOnlyCollection<int>>? history, Sampler[] drawers)
    {
        var (batch, vocab) = (x.shape[0], x.shape[1]);
        if (Options.Ngram is not null)
        {
            x = MixNgram(x, history ?? throw new ArgumentException("An n-gram mixture needs each row's tokens so far.", nameof(history)));
        }

        if (Options.RepetitionPenalty != 1.0 && history is not null)
        {
            ApplyRepetitionPenalty(x, history, vocab);
        }

        if (Options.NoRepeatNgramSize > 0)
        {
            BanRepeatedNgrams(x, history ?? throw new ArgumentException("The no-repeat n-gram ban needs each row's tokens so far.", nameof(history)), vocab);
        }

        if (Options.IsGreedy)
        {
            return ToInts(x.argmax(-1));
        }

        // Filtered and drawn on the host, row by row (CandidateTokens says why).
        var all = MemoryMarshal.Cast<byte, float>(x.contiguous().bytes);
        var chosen = new int[batch];
        for (var row = 0; row < batch; row++)
        {
            chosen[row] = drawers[row].Draw(all.Slice((int)(row * vocab), (int)vocab));
        }

        return chosen;
    }

    /// <summary>The probability of each token after temperature, top-k and top-p (no repetition penalty or n-gram mixture, which need the tokens so far): what <see cref="Sample"/> draws from without them. Greedy options give a one-hot distribution.</summary>
    /// <param name="logits">Logits of shape [vocab].</param>
    public float[] Distribution(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        using var scope = NewDisposeScope();
        var x = logits.detach().to(ScalarType.Float32).cpu().reshape(1, -1);
        if (Options.IsGreedy)
        {
            return nn.functional.one_hot(x.argmax(-1), x.shape[1]).to(ScalarType.Float32).reshape(-1).data<float>().ToArray();
        }

        var distribution = new float[x.shape[1]];
        var candidates = new CandidateTokens();
        candidates.Fill(MemoryMarshal.Cast<byte, float>(x.contiguous().bytes), Options);
        for (var i = 0; i < candidates.Count; i++)
        {
            distribution[candidates.Ids[i]] = candidates.Probabilities[i];
        }

        return distribution;
    }

    // An inverse-CDF draw over the candidates in id order: torch.multinomial costs about 1 ms for a
    // 16k vocabulary on one CPU thread, more than a tiny model's whole decoding step.
    private int Draw(ReadOnlySpan<float> logits)
    {
        _candidates.Fill(logits, Options);
        var target = _random.NextDouble();
        double cumulative = 0;
        var last = -1;
        var probabilities = _candidates.Probabilities;
        for (var i = 0; i < probabilities.Length; i++)
        {
            if (probabilities[i] <= 0)
            {
                continue;
            }

            last = i;
            cumulative += probabilities[i];
            if (cumulative > target)
            {
                return _candidates.Ids[i];
            }
        }

        // Rounding left the total just under the draw: the last possible token.
        return _candidates.Ids[last];
    }

    // Log of (1 - w) softmax(x) + w p_ngram, row by row: the later steps treat it as logits.
    private Tensor MixNgram(Tensor x, IReadOnlyList<IReadOnlyCollection<int>> history)
    {
        var ngram = Options.Ngram!;
        var (batch, vocab) = (x.shape[0], x.shape[1]);
        if (vocab != ngram.VocabSize)
        {
            throw new ArgumentException($"The n-gram model counts {ngram.VocabSize:N0} token ids but the logits have {vocab:N0}; count it on tokens of the model's tokenizer.", nameof(x));
        }

        if (history.Count != batch)
        {
            throw new ArgumentException($"History has {history.Count} rows but the logits have {batch}.", nameof(history));
        }

        var order = Options.NgramOrder ?? ngram.MaxOrder;
        var counted = new double[batch * vocab];
        for (var row = 0; row < batch; row++)
        {
            var context = history[row].TakeLast(order - 1).Select(id => (long)id).ToArray();
            ngram.NextTokenProbabilities(context, order, counted.AsSpan((int)(row * vocab), (int)vocab));
        }

        using var ngramProbabilities = tensor(counted, [batch, vocab]);
        using var keep = (1 - Options.NgramWeight).ToScalar();
        using var weight = Options.NgramWeight.ToScalar();
        var mixed = x.to(ScalarType.Float64).softmax(-1).mul(keep).add(ngramProbabilities, weight);
        return mixed.log().to(ScalarType.Float32);
    }

    private void ApplyRepetitionPenalty(Tensor x, IReadOnlyList<IReadOnlyCollection<int>> history, long vocab)
    {
        if (history.Count != x.shape[0])
        {
            throw new ArgumentException($"History has {history.Count} rows but the logits have {x.shape[0]}.", nameof(history));
        }

        for (var row = 0; row < history.Count; row++)
        {
            var seen = history[row].Where(id => id >= 0 && id < vocab).Distinct().Select(id => (long)id).ToArray();
            if (seen.Length == 0)
            {
                continue;
            }

            using var index = tensor(seen);
            var logitsRow = x[row];
            var values = logitsRow.index_select(0, index);
            using var penalty = Options.RepetitionPenalty.ToScalar();
            var penalised = where(values.gt(OwnedScalars.Zero), values.div(penalty), values.mul(penalty));
            logitsRow.index_copy_(0, index, penalised);
        }
    }

    // Every token that, after a row's last n - 1 tokens, would repeat an n-gram already in the row
    // gets -inf. A plain scan: histories are at most a context long, and the scan costs microseconds
    // beside a forward pass.
    private void BanRepeatedNgrams(Tensor x, IReadOnlyList<IReadOnlyCollection<int>> history, long vocab)
    {
        if (history.Count != x.shape[0])
        {
            throw new ArgumentException($"History has {history.Count} rows but the logits have {x.shape[0]}.", nameof(history));
        }

        var n = Options.NoRepeatNgramSize;
        for (var row = 0; row < history.Count; row++)
        {
            var tokens = history[row] as IReadOnlyList<int> ?? [.. history[row]];
            var prefix = tokens.Count - (n - 1);
            if (prefix < 0)
            {
                continue;
            }

            var banned = new HashSet<long>();
            for (var start = 0; start + n <= tokens.Count; start++)
            {
                var same = true;
                for (var i = 0; i < n - 1 && same; i++)
                {
                    same = tokens[start + i] == tokens[prefix + i];
                }

                var next = tokens[start + n - 1];
                if (same && next >= 0 && next < vocab)
                {
                    banned.Add(next);
                }
            }

            if (banned.Count > 0)
            {
                using var index = tensor(banned.ToArray());
                x[row].index_fill_(0, index, OwnedScalars.NegativeInfinity);
            }
        }
    }

    private static int[] ToInts(Tensor ids) => ids.to(ScalarType.Int64).data<long>().ToArray().Select(v => (int)v).ToArray();
}
