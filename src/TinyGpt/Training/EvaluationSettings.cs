using TinyGpt.Ngrams;

namespace TinyGpt.Training;

/// <summary>How <see cref="ModelEvaluator"/> scores a split.</summary>
public sealed record EvaluationSettings
{
    /// <summary>Window length; null uses the model's context length.</summary>
    public int? ContextLength { get; init; }

    /// <summary>How far windows advance; null means the window length (no overlap). Smaller strides give every scored token more context.</summary>
    public int? Stride { get; init; }

    /// <summary>Windows scored together.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Score only this many batches (a quick estimate); null scores the whole split.</summary>
    public int? MaxBatches { get; init; }

    /// <summary>UTF-8 bytes of the split's text, for bits per byte.</summary>
    public long? Bytes { get; init; }

    /// <summary>Words of the split's text (WikiText counting), for word-level perplexity.</summary>
    public long? Words { get; init; }

    /// <summary>
    /// An n-gram model counted on the training tokens to mix with the network, or null to score the
    /// network alone. Every scored token then has probability
    /// <c>(1 - NgramWeight) p_model + NgramWeight p_ngram</c>, the n-gram reading the tokens before it
    /// in the split. Nothing adapts to the scored text: this is a static ensemble of two models.
    /// </summary>
    public KneserNeyModel? Ngram { get; init; }

    /// <summary>Order of <see cref="Ngram"/> to score with; null uses the largest it counted.</summary>
    public int? NgramOrder { get; init; }

    /// <summary>Share of <see cref="Ngram"/> in the mixture, in [0, 1].</summary>
    public double NgramWeight { get; init; } = DefaultNgramWeight;

    /// <summary>The default <see cref="NgramWeight"/>, chosen on held-out training text (docs/performance.md).</summary>
    public const double DefaultNgramWeight = 0.45;
}
