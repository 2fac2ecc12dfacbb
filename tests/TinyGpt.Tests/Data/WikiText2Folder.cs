namespace TinyGpt.Tests.Data;

/// <summary>
/// Finds the real WikiText-2 raw files: <c>TINYGPT_WIKITEXT2_DIR</c>, else <c>shared/data/wikitext-2-raw</c>
/// beside some ancestor of the test's folder (in CI, <c>&lt;clone&gt;/../shared/data/wikitext-2-raw</c>).
/// </summary>
internal static class WikiText2Folder
{
    public const string EnvironmentVariable = "TINYGPT_WIKITEXT2_DIR";

    public static string Locate()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return Directory.Exists(fromEnvironment)
                ? fromEnvironment
                : throw new DirectoryNotFoundException($"{EnvironmentVariable} is set to '{fromEnvironment}', which does not exist.");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "wikitext-2-raw");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException(
            $"The WikiText-2 raw files were not found: no 'shared/data/wikitext-2-raw' beside any ancestor of '{AppContext.BaseDirectory}'. " +
            $"Put wiki.valid.raw and wiki.test.raw there (next to the repository clone) or set {EnvironmentVariable}.");
    }
}
