namespace TinyGpt.Tokenization;

/// <summary>Settings for <see cref="BpeTrainer"/>.</summary>
public sealed class BpeTrainerOptions
{
    /// <summary>The special tokens TinyGpt uses by default, with ids 0..4 in this order.</summary>
    public static IReadOnlyList<string> DefaultSpecialTokens { get; } = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"];

    /// <summary>
    /// The total vocabulary size: special tokens + 256 byte symbols + merges. Training stops earlier
    /// when no pair reaches <see cref="MinFrequency"/>.
    /// </summary>
    public int VocabSize { get; set; } = 16_000;

    /// <summary>A pair is merged only if it occurs at least this many times (0 or 1: any pair that occurs).</summary>
    public int MinFrequency { get; set; } = 2;

    /// <summary>Special tokens, given ids 0, 1, ... in this order before the byte symbols.</summary>
    public IReadOnlyList<string> SpecialTokens { get; set; } = DefaultSpecialTokens;

    /// <summary>
    /// How many threads count pre-tokens; null uses every core. The result does not depend on it.
    /// </summary>
    public int? MaxDegreeOfParallelism { get; set; }

    // A validated snapshot, so changing the options after creating a trainer cannot bypass validation.
    internal BpeTrainerOptions ValidatedCopy()
    {
        var copy = new BpeTrainerOptions
        {
            VocabSize = VocabSize,
            MinFrequency = MinFrequency,
            SpecialTokens = SpecialTokens is null ? null! : [.. SpecialTokens],
            MaxDegreeOfParallelism = MaxDegreeOfParallelism,
        };
        copy.Validate();
        return copy;
    }

    private void Validate()
    {
        BpeVocabulary.ValidateSpecialTokens(SpecialTokens);
        int minimum = SpecialTokens.Count + 256;
        if (VocabSize < minimum)
        {
            throw new ArgumentOutOfRangeException(
                nameof(VocabSize),
                VocabSize,
                $"VocabSize must be at least {minimum} ({SpecialTokens.Count} special tokens + 256 byte symbols); raise VocabSize.");
        }

        if (MinFrequency < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MinFrequency), MinFrequency, "MinFrequency must be 0 or more.");
        }

        if (MaxDegreeOfParallelism is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDegreeOfParallelism), MaxDegreeOfParallelism, "MaxDegreeOfParallelism must be at least 1, or null for every core.");
        }
    }
}
