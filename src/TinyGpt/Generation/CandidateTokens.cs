using System.Runtime.Intrinsics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace TinyGpt.Generation;

/// <summary>
/// The tokens a sampler may draw from one row of logits after temperature, top-k and top-p, with
/// their probabilities, computed on the host. Written by hand because libtorch spends a top-k draw
/// on a division, a top-k, a scatter into a -inf row and a softmax over the whole vocabulary, each
/// a call per step, where the k candidates are found here in one pass that skips most of the
/// vocabulary sixteen logits at a time (performance.md, "Sampling on the host").
/// </summary>
/// <remarks>Holds buffers for one sampler's rows; not thread-safe.</remarks>
internal sealed class CandidateTokens
{
    private float[] _scaled = [];
    private int[] _ids = [];
    private float[] _probabilities = [];

    /// <summary>How many tokens can be drawn.</summary>
    public int Count { get; private set; }

    /// <summary>The candidates' token ids, ascending.</summary>
    public ReadOnlySpan<int> Ids => _ids.AsSpan(0, Count);

    /// <summary>Each candidate's probability, in the order of <see cref="Ids"/>; they sum to 1.</summary>
    public ReadOnlySpan<float> Probabilities => _probabilities.AsSpan(0, Count);

    /// <summary>Filters <paramref name="logits"/> (one row, the whole vocabulary) as <paramref name="options"/> say (not greedy).</summary>
    /// <exception cref="InvalidOperationException">A logit is NaN, or every logit is -inf.</exception>
    public void Fill(ReadOnlySpan<float> logits, SamplingOptions options)
    {
        var vocab = logits.Length;
        if (_scaled.Length < vocab)
        {
            (_scaled, _ids, _probabilities) = (new float[vocab], new int[vocab], new float[vocab]);
        }

        // The maximum is NaN when any logit is.
        if (float.IsNaN(TensorPrimitives.Max(logits)))
        {
            throw new InvalidOperationException("The model produced NaN logits; its weights are broken (for example a diverged training run).");
        }

        var scaled = _scaled.AsSpan(0, vocab);
        TensorPrimitives.Divide(logits, (float)options.Temperature, scaled);
        if (options.TopK > 0 && options.TopK < vocab)
        {
            Count = options.TopK;
            KeepBest(scaled, _ids.AsSpan(0, Count));
            _ids.AsSpan(0, Count).Sort();
        }
        else
        {
            Count = vocab;
            for (var i = 0; i < vocab; i++)
            {
                _ids[i] = i;
            }
        }

        // Softmax over the candidates, shifted by their maximum so that exp cannot overflow.
        var probabilities = _probabilities.AsSpan(0, Count);
        for (var i = 0; i < Count; i++)
        {
            probabilities[i] = scaled[_ids[i]];
        }

        var max = TensorPrimitives.Max(probabilities);
        if (float.IsNegativeInfinity(max))
        {
            throw new InvalidOperationException("The distribution has no token with positive probability (every logit was -inf).");
        }

        TensorPrimitives.Subtract(probabilities, max, probabilities);
        TensorPrimitives.Exp(probabilities, probabilities);
        TensorPrimitives.Divide(probabilities, TensorPrimitives.Sum(probabilities), probabilities);
        if (options.TopP < 1.0)
        {
            KeepNucleus(options.TopP);
        }
    }

    // The k largest values' indices (ties to the lower index), in heap order: a min-heap whose root
    // is the worst kept. Past the first k, a block of 16 with nothing above the root is skipped
    // whole, which after a few hundred logits is nearly every block.
    private static void KeepBest(ReadOnlySpan<float> values, Span<int> heap)
    {
        var k = heap.Length;
        for (var i = 0; i < k; i++)
        {
            heap[i] = i;
            SiftUp(values, heap, i);
        }

        var next = k;
        if (Vector512.IsHardwareAccelerated)
        {
            // Scalar up to a block boundary, then whole blocks.
            for (; next < values.Length && next % Vector512<float>.Count != 0; next++)
            {
                Offer(values, heap, next);
            }

            for (; next + Vector512<float>.Count <= values.Length; next += Vector512<float>.Count)
            {
                var block = Vector512.Create(values.Slice(next, Vector512<float>.Count));
                if (!Vector512.GreaterThanAny(block, Vector512.Create(values[heap[0]])))
                {
                    continue;
                }

                for (var j = next; j < next + Vector512<float>.Count; j++)
                {
                    Offer(values, heap, j);
                }
            }
        }

        for (; next < values.Length; next++)
        {
            Offer(values, heap, next);
        }
    }

    // A later index with an equal value is worse than the root, so only a larger value enters.
    private static void Offer(ReadOnlySpan<float> values, Span<int> heap, int index)
    {
        if (values[index] > values[heap[0]])
        {
            heap[0] = index;
            SiftDown(values, heap);
        }
    }

    // a is worse than b: a smaller value, or the same value at a later index.
    private static bool Worse(ReadOnlySpan<float> values, int a, int b) => values[a] < values[b] || (values[a] == values[b] && a > b);

    private static void SiftUp(ReadOnlySpan<float> values, Span<int> heap, int at)
    {
        while (at > 0)
        {
            var parent = (at - 1) / 2;
            if (!Worse(values, heap[at], heap[parent]))
            {
                return;
            }

            (heap[at], heap[parent]) = (heap[parent], heap[at]);
            at = parent;
        }
    }

    private static void SiftDown(ReadOnlySpan<float> values, Span<int> heap)
    {
        var at = 0;
        while (true)
        {
            var (left, right, worst) = ((2 * at) + 1, (2 * at) + 2, at);
            if (left < heap.Length && Worse(values, heap[left], heap[worst]))
            {
                worst = left;
            }

            if (right < heap.Length && Worse(values, heap[right], heap[worst]))
            {
                worst = right;
            }

            if (worst == at)
            {
                return;
            }

            (heap[at], heap[worst]) = (heap[worst], heap[at]);
            at = worst;
        }
    }

    // Top-p: going down the candidates from the most likely (ties to the lower id), a token is
    // dropped once the tokens above it already reach p; the most likely always stays. The rest are
    // renormalised and stay in id order.
    private void KeepNucleus(double topP)
    {
        var order = new int[Count];
        for (var i = 0; i < Count; i++)
        {
            order[i] = i;
        }

        var probabilities = _probabilities;
        order.AsSpan().Sort((a, b) => probabilities[a] != probabilities[b] ? probabilities[b].CompareTo(probabilities[a]) : a.CompareTo(b));
        var keep = new bool[Count];
        double massBefore = 0;
        foreach (var candidate in order)
        {
            if (massBefore >= topP)
            {
                break;
            }

            keep[candidate] = true;
            massBefore += probabilities[candidate];
        }

        var kept = 0;
        for (var i = 0; i < Count; i++)
        {
            if (keep[i])
            {
                (_ids[kept], _probabilities[kept]) = (_ids[i], _probabilities[i]);
                kept++;
            }
        }

        Count = kept;
        var survivors = _probabilities.AsSpan(0, Count);
        TensorPrimitives.Divide(survivors, TensorPrimitives.Sum(survivors), survivors);
    }
}
