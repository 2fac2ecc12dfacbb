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
}
