using System.Security.Cryptography;

namespace TinyGpt.Text;

/// <summary>
/// Downloads a WikiText archive once into the cache folder, verifies its pinned sha256, extracts it
/// safely and opens it as a <see cref="WikiTextCorpus"/>. Later calls find the extracted files and
/// make no request.
/// </summary>
/// <remarks>
/// Cache layout: <c>{cache}/datasets/{name}/{archive}.zip</c>, the extracted
/// <c>{cache}/datasets/{name}/{member folder}/wiki.*.raw</c>, and a marker file <c>.extracted</c>
/// holding the archive's sha256.
/// </remarks>
public sealed class WikiTextDownloader
{
    private const string MarkerFileName = ".extracted";
    private static readonly Lazy<HttpClient> SharedClient = new(() => new HttpClient { Timeout = TimeSpan.FromMinutes(30) });
    private readonly HttpClient _httpClient;

    /// <summary>Creates a downloader.</summary>
    /// <param name="httpClient">The client to use; a shared one when null. The downloader does not dispose it.</param>
    public WikiTextDownloader(HttpClient? httpClient = null) => _httpClient = httpClient ?? SharedClient.Value;

    /// <summary>Returns the corpus from the cache, downloading and extracting it first when needed.</summary>
    /// <param name="dataset">Which archive, for example <see cref="WikiTextDataset.WikiText2Raw"/>.</param>
    /// <param name="options">Base address and cache folder; defaults when null.</param>
    /// <param name="progress">Receives download progress; not called on a cache hit.</param>
    /// <param name="cancellationToken">Cancels the download or extraction.</param>
    /// <exception cref="DataDownloadException">An HTTP error, no network, or a checksum mismatch; the message says how to supply the files by hand.</exception>
    public async Task<WikiTextCorpus> GetCorpusAsync(
        WikiTextDataset dataset,
        WikiTextDownloadOptions? options = null,
        IProgress<DownloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        options ??= new WikiTextDownloadOptions();
        var folder = Path.Combine(DataCacheDirectory.Resolve(options.CacheDirectory), "datasets", dataset.Name);
        var memberFolder = Path.Combine(folder, dataset.MemberFolder);
        var marker = Path.Combine(folder, MarkerFileName);
        if (File.Exists(marker) && File.ReadAllText(marker).Trim() == dataset.ArchiveSha256 && Directory.Exists(memberFolder))
        {
            return WikiTextCorpus.FromFolder(memberFolder, dataset);
        }

        Directory.CreateDirectory(folder);
        var archive = Path.Combine(folder, dataset.ArchiveFileName);
        if (!File.Exists(archive) || await Sha256Hex.OfFileAsync(archive, cancellationToken).ConfigureAwait(false) != dataset.ArchiveSha256)
        {
            await DownloadAsync(dataset, options.BaseUri, archive, progress, cancellationToken).ConfigureAwait(false);
        }

        ExtractInto(dataset, archive, folder, memberFolder, cancellationToken);
        await File.WriteAllTextAsync(marker, dataset.ArchiveSha256, cancellationToken).ConfigureAwait(false);
        return WikiTextCorpus.FromFolder(memberFolder, dataset);
    }

    private async Task DownloadAsync(
        WikiTextDataset dataset, Uri baseUri, string archive, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var uri = dataset.ArchiveUri(baseUri);
        var temporary = $"{archive}.{Guid.NewGuid():N}.part";
        try
        {
            string actualHash;
            long received = 0;
            try
            {
                using var response = await _httpClient.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    throw Failure(dataset, uri, archive, $"the server answered HTTP {(int)response.StatusCode} ({response.ReasonPhrase})", null);
                }

                var total = response.Content.Headers.ContentLength ?? dataset.ArchiveSize;
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var source = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                await using (source.ConfigureAwait(false))
                {
                    var target = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                    await using (target.ConfigureAwait(false))
                    {
                        var buffer = new byte[1 << 16];
                        var lastReport = -1L;
                        int read;
                        progress?.Report(new DownloadProgress(dataset.ArchiveFileName, 0, total));
                        while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                        {
                            hash.AppendData(buffer, 0, read);
                            await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                            received += read;
                            // Report about once per megabyte, not per buffer.
                            if (received - lastReport >= 1 << 20)
                            {
                                progress?.Report(new DownloadProgress(dataset.ArchiveFileName, received, total));
                                lastReport = received;
                            }
                        }

                        await target.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }
                }

                progress?.Report(new DownloadProgress(dataset.ArchiveFileName, received, total));
                actualHash = Convert.ToHexStringLower(hash.GetHashAndReset());
            }
            catch (HttpRequestException ex)
            {
                throw Failure(dataset, uri, archive, $"the request failed ({ex.Message}); there may be no network", ex);
            }
            catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw Failure(dataset, uri, archive, "the request timed out", ex);
            }
            catch (IOException ex)
            {
                throw Failure(dataset, uri, archive, $"the transfer broke off ({ex.Message})", ex);
            }

            if (actualHash != dataset.ArchiveSha256)
            {
                throw Failure(dataset, uri, archive,
                    $"the downloaded file ({received:N0} bytes) has sha256 {actualHash}, not the pinned {dataset.ArchiveSha256}; " +
                    "it is corrupt or was changed on the server, and was not used", null);
            }

            File.Move(temporary, archive, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    private static void ExtractInto(WikiTextDataset dataset, string archive, string folder, string memberFolder, CancellationToken cancellationToken)
    {
        // Extract beside the final place and move in, so a cancelled extraction never looks complete.
        var staging = Path.Combine(folder, $".extract-{Guid.NewGuid():N}");
        try
        {
            SafeZipExtractor.Extract(archive, staging, cancellationToken);
            var extractedMembers = Path.Combine(staging, dataset.MemberFolder);
            if (!Directory.Exists(extractedMembers))
            {
                throw new InvalidDataException(
                    $"The archive '{archive}' has no '{dataset.MemberFolder}' folder; delete it and download {dataset.ArchiveUri()} again.");
            }

            if (Directory.Exists(memberFolder))
            {
                Directory.Delete(memberFolder, recursive: true);
            }

            Directory.Move(extractedMembers, memberFolder);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    private static DataDownloadException Failure(WikiTextDataset dataset, Uri uri, string archive, string reason, Exception? inner)
    {
        var message =
            $"Could not download {dataset.Name} from {uri}: {reason}. To supply the files by hand, download {uri} " +
            $"(sha256 {dataset.ArchiveSha256}) on a machine with internet access and either place it at '{archive}', or unzip it " +
            $"and point the local data folder (CLI: --data-dir <folder>; API: WikiTextCorpus.FromFolder) at its '{dataset.MemberFolder}' " +
            "folder holding wiki.train.raw, wiki.valid.raw and wiki.test.raw.";
        return inner is null ? new DataDownloadException(message) : new DataDownloadException(message, inner);
    }
}
