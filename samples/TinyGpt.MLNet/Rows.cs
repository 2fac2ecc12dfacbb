namespace TinyGpt.Samples.MLNet;

/// <summary>A line of training text.</summary>
internal sealed class TextRow
{
    public string Text { get; set; } = string.Empty;
}

/// <summary>A prompt to complete.</summary>
internal sealed class PromptRow
{
    public string Prompt { get; set; } = string.Empty;
}

/// <summary>A prompt and its completion.</summary>
internal sealed class CompletionRow
{
    public string Prompt { get; set; } = string.Empty;

    public string Generated { get; set; } = string.Empty;
}

/// <summary>Built-in text for a run without a file: a few sentences, repeated.</summary>
internal static class SampleText
{
    public static string[] Lines { get; } = Enumerable.Repeat(new[]
    {
        "the quick brown fox jumps over the lazy dog.",
        "a small model learns to repeat what it reads.",
        "every line of this corpus is seen many times.",
    }, 50).SelectMany(s => s).ToArray();
}
