using System.Text;

namespace TinyGpt.Docs.Tests;

/// <summary>
/// Every C# block of README.md and docs/ must be, character for character (apart from indentation
/// and trailing whitespace), a <c>#region {doc}#{id}</c> in this project's sources. Those regions
/// compile against the real libraries, and the tests around them run them; so a block that no
/// longer compiles, or that nobody compiles, fails here.
/// </summary>
public class DocsSnippetCoverageTests
{
    private static readonly IReadOnlyList<MarkdownCodeBlock> Blocks = MarkdownCodeBlocks.FindCSharpInDocs(RepositoryPaths.Root);
    private static readonly IReadOnlyList<SnippetSourceFile> Sources = SnippetSourceFile.FindAll(RepositoryPaths.SnippetSources);
    private static readonly IReadOnlyList<SnippetRegion> Regions = Sources.SelectMany(s => s.Regions).ToList();

    [Fact]
    public void The_docs_have_csharp_blocks_and_this_project_has_regions()
    {
        // Guards against looking in the wrong folder, which would make the other tests pass vacuously.
        Blocks.Should().Contain(b => b.File == "README.md");
        Blocks.Select(b => b.File).Distinct().Should().HaveCountGreaterThan(5);
        Regions.Should().NotBeEmpty();
    }

    [Fact]
    public void Every_csharp_block_in_the_docs_is_a_compiled_snippet()
    {
        var problems = new StringBuilder();
        foreach (var block in Blocks)
        {
            var candidates = Regions.Where(r => r.DocumentFile == block.File).ToList();
            if (candidates.Any(r => r.Text == block.Text))
            {
                continue;
            }

            problems.AppendLine($"{block.File}:{block.Line}: this ```{block.Language} block is not compiled: no '#region {block.File}#<id>' in tests/TinyGpt.Docs.Tests has its text.");
            problems.AppendLine($"    first line: {block.Text.Split('\n')[0]}");
            if (Closest(block.Text, candidates) is { } closest)
            {
                problems.AppendLine($"    closest: {closest.Region}; first difference at snippet line {closest.Line + 1}:");
                problems.AppendLine($"      doc:      {Line(block.Text, closest.Line)}");
                problems.AppendLine($"      compiled: {Line(closest.Region.Text, closest.Line)}");
            }
        }

        problems.ToString().Should().BeEmpty();
    }

    [Fact]
    public void Every_snippet_region_is_a_block_of_the_doc_it_names()
    {
        var documents = MarkdownCodeBlocks.DocumentationFiles(RepositoryPaths.Root);
        var problems = new List<string>();
        foreach (var region in Regions)
        {
            if (!documents.Contains(region.DocumentFile))
            {
                problems.Add($"{region}: names '{region.DocumentFile}', which is not README.md or a file under docs/.");
            }
            else if (!Blocks.Any(b => b.File == region.DocumentFile && b.Text == region.Text))
            {
                problems.Add($"{region}: {region.DocumentFile} has no ```csharp block with this text (stale region, or the doc changed).");
            }
        }

        foreach (var duplicate in Regions.GroupBy(r => r.Name).Where(g => g.Count() > 1))
        {
            problems.Add($"Region '{duplicate.Key}' is in several files: {string.Join(", ", duplicate.Select(r => r.SourceFile))}; keep its parts in one file.");
        }

        problems.Should().BeEmpty();
    }

    [Fact]
    public void A_snippet_that_starts_with_using_directives_declares_every_using_of_its_file()
    {
        // Otherwise the compiled file could import a namespace the doc forgets to show.
        var problems = Sources
            .Where(s => s.Regions.Any(r => r.StartsWithUsingDirectives))
            .Where(s => s.Regions.Count(r => r.StartsWithUsingDirectives) > 1 || s.UsingDirectiveLinesOutsideRegions.Count > 0)
            .Select(s => $"{s.File}: a snippet with using directives must be the only one with usings in its file, and the file may have no using directive outside it (lines {string.Join(", ", s.UsingDirectiveLinesOutsideRegions)}).")
            .ToList();

        problems.Should().BeEmpty();
    }

    private static (SnippetRegion Region, int Line)? Closest(string text, IReadOnlyList<SnippetRegion> candidates)
    {
        var lines = text.Split('\n');
        return candidates
            .Select(r => (Region: r, Line: CommonPrefix(lines, r.Text.Split('\n'))))
            .OrderByDescending(c => c.Line)
            .Cast<(SnippetRegion, int)?>()
            .FirstOrDefault();
    }

    private static int CommonPrefix(string[] a, string[] b)
    {
        var n = 0;
        while (n < a.Length && n < b.Length && a[n] == b[n])
        {
            n++;
        }

        return n;
    }

    private static string Line(string text, int index)
    {
        var lines = text.Split('\n');
        return index < lines.Length ? lines[index] : "(end of snippet)";
    }
}
