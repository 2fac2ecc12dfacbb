using System.Runtime.InteropServices;
using TinyGpt.Tokens;

namespace TinyGpt.Ngrams;

/// <summary>
/// Interpolated Kneser-Ney n-gram language model (Chen &amp; Goodman): absolute discount D at every
/// order, raw counts at the highest order, continuation counts (distinct left neighbours) at the lower
/// ones, and a uniform 1/V distribution below order 1. One instance is counted for the largest order
/// asked for and scores any order up to it: a model of order N reads the raw counts of order N and the
/// continuation counts of orders 1..N-1.
/// </summary>
/// <remarks>
/// N-grams are keys of up to 64 bits: each token id takes <see cref="BitsPerToken"/> bits, so the
/// largest order is 64 / bits (4 for vocabularies of up to 65,536 ids, 5 up to 4,096). Keys are exact,
/// not hashes: different n-grams of one order never share a key. Written here because no maintained
/// .NET library counts n-grams over token ids (the classical toolkits, KenLM and SRILM, are C++ tools
/// over words); counting the 266 k tokens of WikiText-2's validation split takes about a second.
/// Mixed into <see cref="TinyGpt.Training.ModelEvaluator"/> through
/// <c>EvaluationSettings.Ngram</c>, it gives the network what exact counts of the training text know.
/// </remarks>
public sealed class KneserNeyModel
{
    private readonly Level[] _raw;
    private readonly Level[] _continuation;

    private KneserNeyModel(int vocabSize, int maxOrder, double discount, int bitsPerToken, Level[] raw, Level[] continuation)
    {
        VocabSize = vocabSize;
        MaxOrder = maxOrder;
        Discount = discount;
        BitsPerToken = bitsPerToken;
        _raw = raw;
        _continuation = continuation;
    }

    /// <summary>Token ids are below this.</summary>
    public int VocabSize { get; }

    /// <summary>The largest order counted; any order up to it can be scored.</summary>
    public int MaxOrder { get; }

    /// <summary>The absolute discount subtracted from every count.</summary>
    public double Discount { get; }

    /// <summary>Bits a token id takes in a key.</summary>
    public int BitsPerToken { get; }

    /// <summary>Distinct n-grams counted at each order 1..<see cref="MaxOrder"/>.</summary>
    public IReadOnlyList<int> NgramTypes => [.. _raw.Skip(1).Select(l => l.Counts.Count)];

    /// <summary>Bits a token id takes in a key.</summary>
    public static int BitsFor(int vocabSize) => Math.Max(1, 32 - int.LeadingZeroCount(vocabSize - 1));

    /// <summary>The largest order whose keys fit in 64 bits for this vocabulary.</summary>
    public static int LargestOrder(int vocabSize) => 64 / BitsFor(vocabSize);

    /// <summary>Counts every n-gram of orders 1..<paramref name="maxOrder"/> in <paramref name="tokens"/> (read whole into memory).</summary>
    /// <exception cref="ArgumentException">A token id is outside the vocabulary, or the split holds more tokens than an array can.</exception>
    public static KneserNeyModel Train(ITokenSequence tokens, int vocabSize, int maxOrder, double discount = 0.75) =>
        Train(ReadAll(tokens), vocabSize, maxOrder, discount);

    /// <summary>Counts every n-gram of orders 1..<paramref name="maxOrder"/> in <paramref name="tokens"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The order does not fit 64-bit keys with this vocabulary, or the discount is not in (0, 1).</exception>
    /// <exception cref="ArgumentException">A token id is outside the vocabulary.</exception>
    public static KneserNeyModel Train(ReadOnlySpan<long> tokens, int vocabSize, int maxOrder, double discount = 0.75)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOrder, 1);
        if (maxOrder > LargestOrder(vocabSize))
        {
            throw new ArgumentOutOfRangeException(nameof(maxOrder), maxOrder, $"Orders above {LargestOrder(vocabSize)} do not fit 64-bit keys with a vocabulary of {vocabSize:N0}.");
        }

        if (discount is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(discount), discount, "The discount must lie between 0 and 1.");
        }

        foreach (var token in tokens)
        {
            if ((ulong)token >= (ulong)vocabSize)
            {
                throw new ArgumentException($"Token id {token} is outside the vocabulary of {vocabSize:N0}.", nameof(tokens));
            }
        }

        var bits = BitsFor(vocabSize);
        var raw = new Level[maxOrder + 1];
        for (var n = 1; n <= maxOrder; n++)
        {
            var counts = new Dictionary<long, int>();
            for (var i = 0; i + n <= tokens.Length; i++)
            {
                CollectionsMarshal.GetValueRefOrAddDefault(counts, Key(tokens.Slice(i, n), bits), out _)++;
            }

            raw[n] = new Level(counts, bits);
        }

        // The continuation count of an n-gram: how many distinct tokens precede it, i.e. how many
        // (n+1)-gram types end with it.
        var continuation = new Level[maxOrder];
        for (var n = 1; n < maxOrder; n++)
        {
            var mask = n * bits == 64 ? -1L : (1L << (n * bits)) - 1;
            var counts = new Dictionary<long, int>();
            foreach (var key in raw[n + 1].Counts.Keys)
            {
                CollectionsMarshal.GetValueRefOrAddDefault(counts, key & mask, out _)++;
            }

            continuation[n] = new Level(counts, bits);
        }

        return new KneserNeyModel(vocabSize, maxOrder, discount, bits, raw, continuation);
    }

    /// <summary>
    /// p(token | context) for a model of order <paramref name="order"/>. A context shorter than
    /// order - 1 makes the model start from the order it allows (len + 1), with continuation counts there;
    /// a longer one is cut to its last order - 1 tokens.
    /// </summary>
    public double Probability(ReadOnlySpan<long> context, long token, int order)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(order, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(order, MaxOrder);
        var top = Math.Min(order, context.Length + 1);
        var p = 1.0 / VocabSize;
        long contextKey = 0;
        for (var n = 1; n <= top; n++)
        {
            if (n > 1)
            {
                // Widen the context by one token to the left: it holds the last n - 1 tokens.
                contextKey |= context[^(n - 1)] << ((n - 2) * BitsPerToken);
            }

            var level = n == order ? _raw[n] : _continuation[n];
            if (!level.Contexts.TryGetValue(contextKey, out var stats))
            {
                continue; // the context was never seen: this order adds nothing
            }

            var count = level.Counts.GetValueOrDefault((contextKey << BitsPerToken) | token);
            p = (Math.Max(count - Discount, 0) / stats.Total) + (Discount * stats.Types / stats.Total * p);
        }

        return p;
    }

    /// <summary>
    /// p(token | context) for every token id (element <c>id</c> of <paramref name="probabilities"/>,
    /// which must hold <see cref="VocabSize"/> values): the next-token distribution, summing to 1.
    /// </summary>
    public void NextTokenProbabilities(ReadOnlySpan<long> context, int order, Span<double> probabilities)
    {
        if (probabilities.Length != VocabSize)
        {
            throw new ArgumentException($"Expected room for {VocabSize} probabilities; got {probabilities.Length}.", nameof(probabilities));
        }

        for (var token = 0; token < VocabSize; token++)
        {
            probabilities[token] = Probability(context, token, order);
        }
    }

    /// <summary>
    /// p(tokens[i] | tokens[..i]) for every i from 1: element i - 1 of the result. The first token has no
    /// context and is not scored.
    /// </summary>
    public double[] ScoreSequence(ReadOnlySpan<long> tokens, int order)
    {
        var probabilities = new double[Math.Max(0, tokens.Length - 1)];
        for (var i = 1; i < tokens.Length; i++)
        {
            var start = Math.Max(0, i - order + 1);
            probabilities[i - 1] = Probability(tokens[start..i], tokens[i], order);
        }

        return probabilities;
    }

    /// <summary>
    /// Sanity check: the largest |1 - sum over the vocabulary of p(w | context)| for a model of order
    /// <paramref name="order"/> over <paramref name="contexts"/> contexts taken evenly from
    /// <paramref name="tokens"/>. Interpolated Kneser-Ney is normalised, so this should be ~1e-12.
    /// </summary>
    public double NormalisationError(ReadOnlySpan<long> tokens, int order, int contexts)
    {
        double worst = 0;
        var step = Math.Max(1, tokens.Length / Math.Max(1, contexts));
        for (var end = Math.Min(step, tokens.Length); end <= tokens.Length; end += step)
        {
            var context = tokens[Math.Max(0, end - order + 1)..end];
            double sum = 0;
            for (var w = 0; w < VocabSize; w++)
            {
                sum += Probability(context, w, order);
            }

            worst = Math.Max(worst, Math.Abs(1 - sum));
        }

        return worst;
    }

    /// <summary>All of <paramref name="tokens"/> as one array.</summary>
    /// <exception cref="ArgumentException">The sequence holds more tokens than an array can.</exception>
    public static long[] ReadAll(ITokenSequence tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Count > Array.MaxLength)
        {
            throw new ArgumentException($"{tokens.Count:N0} tokens do not fit one array (at most {Array.MaxLength:N0}); count the n-grams of a smaller split.", nameof(tokens));
        }

        var all = new long[tokens.Count];
        tokens.CopyTo(0, all);
        return all;
    }

    private static long Key(ReadOnlySpan<long> gram, int bits)
    {
        long key = 0;
        foreach (var token in gram)
        {
            key = (key << bits) | token;
        }

        return key;
    }

    /// <summary>Per-context totals of one order's counts: their sum and how many distinct n-grams share the context.</summary>
    private readonly record struct ContextStats(int Total, int Types);

    /// <summary>The counts of one order (raw or continuation) and their per-context totals.</summary>
    private sealed class Level
    {
        public Level(Dictionary<long, int> counts, int bits)
        {
            Counts = counts;
            foreach (var (key, count) in counts)
            {
                // The context is the n-gram without its last token; order 1 has the empty context, key 0.
                ref var stats = ref CollectionsMarshal.GetValueRefOrAddDefault(Contexts, (long)((ulong)key >> bits), out _);
                stats = new ContextStats(stats.Total + count, stats.Types + 1);
            }
        }

        public Dictionary<long, int> Counts { get; }

        public Dictionary<long, ContextStats> Contexts { get; } = [];
    }
}
