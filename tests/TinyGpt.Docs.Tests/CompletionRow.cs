namespace TinyGpt.Docs.Tests;

/// <summary>A prompt and its completion, as in docs/mlnet.md (a type of the reader's app).</summary>
public sealed class CompletionRow
{
    /// <summary>The prompt.</summary>
    public string Prompt { get; set; } = string.Empty;

    /// <summary>The generated continuation.</summary>
    public string Generated { get; set; } = string.Empty;
}
