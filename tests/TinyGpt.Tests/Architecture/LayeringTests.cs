using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TinyGpt.Tests.Architecture;

/// <summary>
/// docs/architecture.md's table of folders is the truth about src/TinyGpt's layering: the folders in
/// the order data flows through them, and for each the folders it depends on. The code must depend
/// on exactly what the table says, and every dependency must point to a folder earlier in the table,
/// so a folder that starts reaching back fails here, as does a table that no longer tells the truth.
/// </summary>
public sealed partial class LayeringTests
{
    private static readonly string Repository = FindRepository();

    [Fact]
    public void Every_folder_depends_on_exactly_the_folders_the_architecture_document_names_and_only_on_earlier_ones()
    {
        var documented = DocumentedLayers();
        var actual = ActualDependencies();

        actual.Keys.Should().BeEquivalentTo(documented.Select(l => l.Folder), "every folder of src/TinyGpt has a row in docs/architecture.md's table, and every row a folder");
        for (var i = 0; i < documented.Count; i++)
        {
            var (folder, dependsOn) = documented[i];
            actual[folder].Should().BeEquivalentTo(dependsOn, $"docs/architecture.md says {folder}/ depends on {(dependsOn.Count == 0 ? "nothing" : string.Join(", ", dependsOn))}; its code uses {(actual[folder].Count == 0 ? "nothing" : string.Join(", ", actual[folder]))}");
            var earlier = documented.Take(i).Select(l => l.Folder).ToHashSet();
            dependsOn.Where(d => !earlier.Contains(d)).Should().BeEmpty($"{folder}/ may depend only on folders above it in the table: the data flows one way");
        }
    }

    /// <summary>The rows of the table under "## Layers and folders": folder and the TinyGpt folders in its "depends on" column.</summary>
    private static List<(string Folder, IReadOnlyCollection<string> DependsOn)> DocumentedLayers()
    {
        var lines = File.ReadAllLines(Path.Combine(Repository, "docs", "architecture.md"));
        var start = Array.IndexOf(lines, "## Layers and folders");
        start.Should().BeGreaterThanOrEqualTo(0, "docs/architecture.md has a '## Layers and folders' section");
        var rows = new List<(string, IReadOnlyCollection<string>)>();
        foreach (var line in lines.Skip(start + 1).SkipWhile(l => !l.StartsWith('|')).TakeWhile(l => l.StartsWith('|')))
        {
            var cells = line.Split('|').Select(c => c.Trim()).ToArray();
            if (FolderCell().Match(cells[1]) is { Success: true } folder)
            {
                var dependsOn = FolderName().Matches(cells[^2]).Select(m => m.Groups[1].Value).ToList();
                rows.Add((folder.Groups[1].Value, dependsOn));
            }
        }

        rows.Should().NotBeEmpty("the table lists the folders");
        return rows;
    }

    /// <summary>Per folder of src/TinyGpt, the other folders its code names (usings and qualified names; comments and strings do not count).</summary>
    private static Dictionary<string, HashSet<string>> ActualDependencies()
    {
        var source = Path.Combine(Repository, "src", "TinyGpt");
        var result = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file).Split(Path.DirectorySeparatorChar);
            if (relative.Length < 2 || relative[0] is "bin" or "obj")
            {
                continue;
            }

            var folder = relative[0];
            var used = result.TryGetValue(folder, out var set) ? set : result[folder] = [];
            var root = CSharpSyntaxTree.ParseText(File.ReadAllText(file)).GetRoot();
            var names = root.DescendantNodes().OfType<UsingDirectiveSyntax>().Select(u => u.NamespaceOrType.ToString())
                .Concat(root.DescendantNodes().OfType<QualifiedNameSyntax>().Select(q => q.ToString()))
                .Concat(root.DescendantNodes().OfType<MemberAccessExpressionSyntax>().Select(m => m.ToString()));
            foreach (var name in names)
            {
                if (Namespace().Match(name) is { Success: true } match && match.Groups[1].Value != folder)
                {
                    used.Add(match.Groups[1].Value);
                }
            }
        }

        return result;
    }

    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TinyGpt.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("TinyGpt.sln not found above the test's folder.");
    }

    [GeneratedRegex(@"^`(\w+)/`$")]
    private static partial Regex FolderCell();

    [GeneratedRegex(@"`?\b([A-Z]\w+)\b`?")]
    private static partial Regex FolderName();

    [GeneratedRegex(@"^(?:global::)?TinyGpt\.([A-Z]\w+)")]
    private static partial Regex Namespace();
}
