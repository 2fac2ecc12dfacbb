namespace TinyGpt.Docs.Tests;

/// <summary>A corpus line, as in docs/mlnet.md (a type of the reader's app).</summary>
public sealed class TextRow
{
    /// <summary>The line.</summary>
    public string Text { get; set; } = string.Empty;
}
