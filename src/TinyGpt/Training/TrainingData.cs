using TinyGpt.Tokenization;
using TinyGpt.Tokens;

namespace TinyGpt.Training;

/// <summary>The token streams a run trains and evaluates on, and the tokenizer that made them.</summary>
/// <param name="Train">Tokens of the training split.</param>
/// <param name="Tokenizer">The tokenizer of both splits; checkpoints record its fingerprint.</param>
public sealed record TrainingData(ITokenSequence Train, ITextTokenizer Tokenizer)
{
    /// <summary>Tokens of the validation split, or null to skip evaluation.</summary>
    public ITokenSequence? Validation { get; init; }

    /// <summary>UTF-8 bytes of the validation text, for bits per byte.</summary>
    public long? ValidationBytes { get; init; }

    /// <summary>Words of the validation text (WikiText counting), for word-level perplexity.</summary>
    public long? ValidationWords { get; init; }
}
