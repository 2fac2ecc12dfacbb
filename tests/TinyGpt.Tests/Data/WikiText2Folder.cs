using TinyGpt.Text;

namespace TinyGpt.Tests.Data;

/// <summary>
/// Finds the real WikiText-2 raw files, in this order: <c>TINYGPT_WIKITEXT2_DIR</c>;
/// <c>shared/data/wikitext-2-raw</c> beside some ancestor of the test's folder (this repository's
/// machines keep it next to the clone); the product's own download cache (<c>TINYGPT_CACHE</c> or
/// <c>~/.cache/tinygpt</c>, where the main job puts it); and otherwise it downloads WikiText-2 into
/// that cache, checked against the pinned hashes, exactly as the main job does.
/// </summary>
internal static class WikiText2Folder
{
    public const string EnvironmentVariable = "TINYGPT_WIKITEXT2_DIR";

    private static readonly Lazy<string> Found = new(Find, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Locate() => Found.Value;

    private static string Find()
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

        // The product's cache: a cache hit, or a download with the pinned hashes.
        try
        {
            return new WikiTextDownloader().GetCorpusAsync(WikiTextDataset.WikiText2Raw).GetAwaiter().GetResult().Folder;
        }
        catch (DataDownloadException ex)
        {
            throw new DirectoryNotFoundException(
                $"The WikiText-2 raw files were not found (no {EnvironmentVariable}, no 'shared/data/wikitext-2-raw' beside an ancestor of '{AppContext.BaseDirectory}', " +
                $"nothing in the cache {DataCacheDirectory.Resolve()}) and downloading them failed: {ex.Message}",
                ex);
        }
    }
}
