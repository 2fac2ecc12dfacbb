namespace TinyGpt.Text;

/// <summary>Where <see cref="WikiTextDownloader"/> downloads from and caches to.</summary>
public sealed record WikiTextDownloadOptions
{
    /// <summary>The base address the archive's file name is appended to; a mirror or a test server may replace the official host.</summary>
    public Uri BaseUri { get; init; } = WikiTextDataset.OfficialBaseUri;

    /// <summary>The cache folder; null means <see cref="DataCacheDirectory.Resolve"/> (environment variable <c>TINYGPT_CACHE</c>, else <c>~/.cache/tinygpt</c>).</summary>
    public string? CacheDirectory { get; init; }
}
