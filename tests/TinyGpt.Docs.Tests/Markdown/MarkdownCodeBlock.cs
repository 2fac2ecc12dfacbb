namespace TinyGpt.Docs.Tests;

/// <summary>A fenced code block of a markdown file.</summary>
/// <param name="File">The markdown file, relative to the repository root, with forward slashes.</param>
/// <param name="Line">The 1-based line of the opening fence.</param>
/// <param name="Language">The first word of the fence's info string, or empty.</param>
/// <param name="Text">The block's lines, normalized by <see cref="SnippetText.Normalize"/>.</param>
public sealed record MarkdownCodeBlock(string File, int Line, string Language, string Text)
{
    /// <summary>Whether the block is C# (<c>csharp</c>, <c>cs</c> or <c>c#</c>, any case).</summary>
    public bool IsCSharp =>
        Language.Equals("csharp", StringComparison.OrdinalIgnoreCase)
        || Language.Equals("cs", StringComparison.OrdinalIgnoreCase)
        || Language.Equals("c#", StringComparison.OrdinalIgnoreCase);
}
