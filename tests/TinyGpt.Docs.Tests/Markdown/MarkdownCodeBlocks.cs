using System.Text.RegularExpressions;

namespace TinyGpt.Docs.Tests;

/// <summary>Finds the fenced code blocks (<c>```</c> or <c>~~~</c>, indented or not) of markdown text.</summary>
public static partial class MarkdownCodeBlocks
{
    /// <summary>Every fenced block of <paramref name="markdown"/>, in order. An unclosed fence runs to the end, as in CommonMark.</summary>
    /// <param name="file">The name to report for the blocks.</param>
    /// <param name="markdown">The markdown text.</param>
    public static IReadOnlyList<MarkdownCodeBlock> Parse(string file, string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        var lines = markdown.ReplaceLineEndings("\n").Split('\n');
        var blocks = new List<MarkdownCodeBlock>();
        for (var i = 0; i < lines.Length; i++)
        {
            var open = OpeningFence().Match(lines[i]);
            if (!open.Success)
            {
                continue;
            }

            var fence = open.Groups["fence"].Value;
            var indent = open.Groups["indent"].Value.Length;
            var language = open.Groups["info"].Value.Trim().Split(' ', 2)[0];
            var content = new List<string>();
            var j = i + 1;
            for (; j < lines.Length && !IsClosingFence(lines[j], fence); j++)
            {
                content.Add(RemoveIndent(lines[j], indent));
            }

            blocks.Add(new MarkdownCodeBlock(file, i + 1, language, SnippetText.Normalize(content)));
            i = j;
        }

        return blocks;
    }

    /// <summary>The C# blocks of <c>README.md</c> and of every markdown file under <c>docs/</c>, relative to <paramref name="repositoryRoot"/>.</summary>
    public static IReadOnlyList<MarkdownCodeBlock> FindCSharpInDocs(string repositoryRoot) =>
        DocumentationFiles(repositoryRoot)
            .SelectMany(file => Parse(file, File.ReadAllText(Path.Combine(repositoryRoot, file))))
            .Where(block => block.IsCSharp)
            .ToList();

    /// <summary><c>README.md</c> and every markdown file under <c>docs/</c>, relative to <paramref name="repositoryRoot"/>, with forward slashes, sorted.</summary>
    public static IReadOnlyList<string> DocumentationFiles(string repositoryRoot)
    {
        var docs = Path.Combine(repositoryRoot, "docs");
        return Directory.EnumerateFiles(docs, "*.md", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(repositoryRoot, path).Replace('\\', '/'))
            .Prepend("README.md")
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static bool IsClosingFence(string line, string fence)
    {
        var trimmed = line.Trim();
        return trimmed.Length >= fence.Length && trimmed.All(c => c == fence[0]);
    }

    private static string RemoveIndent(string line, int indent)
    {
        var spaces = 0;
        while (spaces < indent && spaces < line.Length && line[spaces] == ' ')
        {
            spaces++;
        }

        return line[spaces..];
    }

    [GeneratedRegex(@"^(?<indent> *)(?<fence>`{3,}|~{3,})(?<info>[^`]*)$")]
    private static partial Regex OpeningFence();
}
