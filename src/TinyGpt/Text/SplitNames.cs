namespace TinyGpt.Text;

/// <summary>The split names every <see cref="ITextCorpus"/> uses.</summary>
public static class SplitNames
{
    /// <summary>The training split.</summary>
    public const string Train = "train";

    /// <summary>The validation split (WikiText calls it "valid").</summary>
    public const string Valid = "valid";

    /// <summary>The test split.</summary>
    public const string Test = "test";

    /// <summary>All three names, in the order train, valid, test.</summary>
    public static IReadOnlyList<string> All { get; } = [Train, Valid, Test];
}
