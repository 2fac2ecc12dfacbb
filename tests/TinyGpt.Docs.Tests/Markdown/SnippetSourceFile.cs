using System.Text.RegularExpressions;

namespace TinyGpt.Docs.Tests;

/// <summary>The doc snippet regions of one C# file, and its using directives outside them.</summary>
/// <param name="File">The file, relative to the snippet project, with forward slashes.</param>
/// <param name="Regions">Its doc regions (names containing <c>.md#</c>); other regions are ignored.</param>
/// <param name="UsingDirectiveLinesOutsideRegions">1-based lines of using directives that are not inside a doc region.</param>
public sealed partial record SnippetSourceFile(string File, IReadOnlyList<SnippetRegion> Regions, IReadOnlyList<int> UsingDirectiveLinesOutsideRegions)
{
    /// <summary>Whether <paramref name="line"/> is a using directive (not a using statement or declaration).</summary>
    public static bool IsUsingDirective(string line) => UsingDirective().IsMatch(line);

    /// <summary>Every C# file under <paramref name="directory"/> (bin and obj excluded), parsed.</summary>
    public static IReadOnlyList<SnippetSourceFile> FindAll(string directory) =>
        Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(directory, path).Replace('\\', '/'))
            .Where(path => !path.StartsWith("bin/", StringComparison.Ordinal) && !path.StartsWith("obj/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(path => Parse(path, System.IO.File.ReadAllText(Path.Combine(directory, path))))
            .ToList();

    /// <summary>Reads the doc regions of <paramref name="source"/>.</summary>
    /// <exception cref="InvalidDataException">A doc region is nested in another, or an <c>#endregion</c> has no <c>#region</c>.</exception>
    public static SnippetSourceFile Parse(string file, string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var lines = source.ReplaceLineEndings("\n").Split('\n');
        var parts = new Dictionary<string, (int Line, List<string> Texts)>(StringComparer.Ordinal);
        var open = new Stack<string?>();
        List<string>? current = null;
        var usings = new List<int>();
        for (var i = 0; i < lines.Length; i++)
        {
            var region = RegionStart().Match(lines[i]);
            if (region.Success)
            {
                var name = region.Groups["name"].Value.Trim();
                var isDoc = name.Contains(".md#", StringComparison.Ordinal);
                if (isDoc && current is not null)
                {
                    throw new InvalidDataException($"{file}:{i + 1}: doc region '{name}' is nested in another doc region.");
                }

                open.Push(isDoc ? name : null);
                if (isDoc)
                {
                    current = [];
                    if (!parts.ContainsKey(name))
                    {
                        parts[name] = (i + 1, []);
                    }
                }

                continue;
            }

            if (RegionEnd().IsMatch(lines[i]))
            {
                if (open.Count == 0)
                {
                    throw new InvalidDataException($"{file}:{i + 1}: #endregion without #region.");
                }

                if (open.Pop() is { } closed)
                {
                    parts[closed].Texts.Add(SnippetText.Normalize(current!));
                    current = null;
                }

                continue;
            }

            if (current is not null)
            {
                current.Add(lines[i]);
            }
            else if (IsUsingDirective(lines[i]))
            {
                usings.Add(i + 1);
            }
        }

        var regions = parts.Select(p => new SnippetRegion(p.Key, file, p.Value.Line, string.Join("\n\n", p.Value.Texts))).ToList();
        return new SnippetSourceFile(file, regions, usings);
    }

    [GeneratedRegex(@"^\s*#region\s+(?<name>.+)$")]
    private static partial Regex RegionStart();

    [GeneratedRegex(@"^\s*#endregion\b")]
    private static partial Regex RegionEnd();

    [GeneratedRegex(@"^\s*(global\s+)?using\s+(static\s+)?[A-Za-z_][\w.]*(\s*=\s*[\w.<>, ]+)?\s*;\s*$")]
    private static partial Regex UsingDirective();
}
