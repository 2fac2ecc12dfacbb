namespace TinyGpt.Docs.Tests;

/// <summary>
/// A compiled doc snippet: the parts of one source file between <c>#region {doc}#{id}</c> and
/// <c>#endregion</c> with the same name (for example <c>docs/hosting.md#builder</c>), each
/// normalized by <see cref="SnippetText.Normalize"/> and joined by a blank line.
/// </summary>
/// <param name="Name">The region name: the markdown file (relative to the repository root), <c>#</c>, an id.</param>
/// <param name="SourceFile">The C# file, relative to the snippet project.</param>
/// <param name="Line">The 1-based line of the first <c>#region</c>.</param>
/// <param name="Text">The snippet text.</param>
public sealed record SnippetRegion(string Name, string SourceFile, int Line, string Text)
{
    /// <summary>The markdown file the region belongs to.</summary>
    public string DocumentFile => Name[..Name.IndexOf('#', StringComparison.Ordinal)];

    /// <summary>Whether the snippet starts with using directives, which then are the whole file's usings.</summary>
    public bool StartsWithUsingDirectives => SnippetSourceFile.IsUsingDirective(Text.Split('\n')[0]);

    /// <summary>Where the region is, for messages.</summary>
    public override string ToString() => $"#region {Name} ({SourceFile}:{Line})";
}
