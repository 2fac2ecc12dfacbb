using System.Reflection;

namespace TinyGpt.Docs.Tests;

/// <summary>Where the repository and this project's sources are (recorded at build time).</summary>
public static class RepositoryPaths
{
    /// <summary>The repository root: README.md and docs/ are here.</summary>
    public static string Root => Metadata("RepositoryRoot");

    /// <summary>This project's folder, whose C# files hold the doc snippets.</summary>
    public static string SnippetSources => Metadata("SnippetSourceDirectory");

    private static string Metadata(string key) =>
        typeof(RepositoryPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"The assembly metadata '{key}' is empty.");
}
