using TinyGpt.Tokenization;

namespace TinyGpt.Runs;

/// <summary>What <c>prepare</c> recorded in <c>prepare.json</c>.</summary>
public sealed record RunManifest
{
    /// <summary>Corpus name.</summary>
    public required string Corpus { get; init; }

    /// <summary>Which tokenizer the run uses.</summary>
    public required TokenizerKind Tokenizer { get; init; }

    /// <summary>Fingerprint of the tokenizer.</summary>
    public required string TokenizerFingerprint { get; init; }

    /// <summary>Vocabulary size of the tokenizer.</summary>
    public required int VocabSize { get; init; }

    /// <summary>The training split.</summary>
    public required string TrainSplit { get; init; }

    /// <summary>The split evaluated during training.</summary>
    public required string EvalSplit { get; init; }

    /// <summary>Every encoded split.</summary>
    public required IReadOnlyList<PreparedSplit> Splits { get; init; }
}
