namespace TinyGpt.Docs.Tests;

/// <summary>A prompt, as in docs/mlnet.md (a type of the reader's app).</summary>
public sealed class PromptRow
{
    /// <summary>The prompt.</summary>
    public string Prompt { get; set; } = string.Empty;
}
