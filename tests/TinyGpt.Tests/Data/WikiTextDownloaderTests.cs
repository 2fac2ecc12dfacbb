using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using TinyGpt.Text;

namespace TinyGpt.Tests.Data;

public sealed class WikiTextDownloaderTests : IDisposable
{
    private const string ArchiveName = "tiny-wiki.zip";
    private readonly TempDirectory _cache = new();

    public void Dispose() => _cache.Dispose();

    private static byte[] MakeZip(params (string Name, string Text)[] entries)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, text) in entries)
            {
                var entry = zip.CreateEntry(name);
                using var writer = new StreamWriter(entry.Open(), new UTF8Encoding(false));
                writer.Write(text);
            }
        }

        return memory.ToArray();
    }

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static string Sha(string text) => Sha(Encoding.UTF8.GetBytes(text));

    private static readonly (string Name, string Text)[] GoodEntries =
    [
        ("tiny-raw/wiki.train.raw", " \n = Title = \n one two three \n"),
        ("tiny-raw/wiki.valid.raw", " four five \n"),
        ("tiny-raw/wiki.test.raw", " six \n"),
    ];

    private static WikiTextDataset Descriptor(string archiveSha) => new(
        "tiny-wiki", ArchiveName, archiveSha, null, "tiny-raw",
        new Dictionary<string, string>
        {
            [SplitNames.Train] = Sha(GoodEntries[0].Text),
            [SplitNames.Valid] = Sha(GoodEntries[1].Text),
        });

    private WikiTextDownloadOptions Options(LoopbackHttpServer server) => new() { BaseUri = server.BaseUri, CacheDirectory = _cache.Path };

    private sealed class RecordingProgress : IProgress<DownloadProgress>
    {
        public List<DownloadProgress> Reports { get; } = [];

        public void Report(DownloadProgress value)
        {
            lock (Reports)
            {
                Reports.Add(value);
            }
        }
    }

    [Fact]
    public async Task Downloads_verifies_extracts_and_then_serves_from_cache_without_a_request()
    {
        var zip = MakeZip(GoodEntries);
        await using var server = new LoopbackHttpServer();
        server.Serve(ArchiveName, zip);
        using var client = new HttpClient();
        var downloader = new WikiTextDownloader(client);
        var progress = new RecordingProgress();

        var corpus = await downloader.GetCorpusAsync(Descriptor(Sha(zip)), Options(server), progress);

        server.RequestCount.Should().Be(1);
        corpus.AvailableSplits.Should().Equal(SplitNames.Train, SplitNames.Valid, SplitNames.Test);
        corpus.GetSplit(SplitNames.Train).ReadAllText().Should().Be(GoodEntries[0].Text);
        corpus.Folder.Should().StartWith(_cache.Path);
        progress.Reports.Should().NotBeEmpty();
        progress.Reports[^1].BytesReceived.Should().Be(zip.Length);
        progress.Reports[^1].TotalBytes.Should().Be(zip.Length);
        Directory.GetFiles(_cache.Path, "*.part", SearchOption.AllDirectories).Should().BeEmpty();

        // Without the zip, only the extracted files can make this a cache hit.
        File.Delete(Path.Combine(_cache.Path, "datasets", "tiny-wiki", ArchiveName));
        var again = await downloader.GetCorpusAsync(Descriptor(Sha(zip)), Options(server));

        server.RequestCount.Should().Be(1, "the second call finds the extracted files in the cache");
        again.GetSplit(SplitNames.Test).ReadAllText().Should().Be(GoodEntries[2].Text);
    }

    [Fact]
    public async Task A_verified_zip_already_in_the_cache_is_extracted_without_a_request()
    {
        var zip = MakeZip(GoodEntries);
        var folder = Path.Combine(_cache.Path, "datasets", "tiny-wiki");
        Directory.CreateDirectory(folder);
        await File.WriteAllBytesAsync(Path.Combine(folder, ArchiveName), zip);
        await using var server = new LoopbackHttpServer();

        var corpus = await new WikiTextDownloader().GetCorpusAsync(Descriptor(Sha(zip)), Options(server));

        server.RequestCount.Should().Be(0);
        corpus.GetSplit(SplitNames.Valid).ReadAllText().Should().Be(GoodEntries[1].Text);
    }

    [Fact]
    public void Cache_folder_comes_from_the_environment_variable_when_no_option_is_given()
    {
        var previous = Environment.GetEnvironmentVariable(DataCacheDirectory.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(DataCacheDirectory.EnvironmentVariable, _cache.Path);
            DataCacheDirectory.Resolve().Should().Be(Path.GetFullPath(_cache.Path));
            DataCacheDirectory.Resolve("/somewhere/else").Should().Be(Path.GetFullPath("/somewhere/else"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(DataCacheDirectory.EnvironmentVariable, previous);
        }
    }

    [Fact]
    public async Task Checksum_mismatch_is_rejected_and_nothing_is_kept()
    {
        var zip = MakeZip(GoodEntries);
        await using var server = new LoopbackHttpServer();
        server.Serve(ArchiveName, zip);
        var wrongSha = Sha(MakeZip(("tiny-raw/wiki.train.raw", "other")));

        var act = () => new WikiTextDownloader().GetCorpusAsync(Descriptor(wrongSha), Options(server));

        var error = (await act.Should().ThrowAsync<DataDownloadException>()).Which;
        error.Message.Should().Contain(wrongSha).And.Contain(Sha(zip)).And.Contain("--data-dir").And.Contain(server.BaseUri + ArchiveName);
        Directory.GetFiles(_cache.Path, "*", SearchOption.AllDirectories).Should().BeEmpty();
    }

    [Theory]
    [InlineData("tiny-raw/../../escaped.raw")]
    [InlineData("../escaped.raw")]
    [InlineData("/tmp/absolute-escaped.raw")]
    public async Task Zip_entries_that_escape_the_target_folder_are_rejected(string evilName)
    {
        var zip = MakeZip([.. GoodEntries, (evilName, "pwned")]);
        await using var server = new LoopbackHttpServer();
        server.Serve(ArchiveName, zip);

        var act = () => new WikiTextDownloader().GetCorpusAsync(Descriptor(Sha(zip)), Options(server));

        (await act.Should().ThrowAsync<InvalidDataException>()).Which.Message.Should().Contain(evilName);
        File.Exists(Path.Combine(_cache.Path, "escaped.raw")).Should().BeFalse();
        File.Exists(Path.Combine(_cache.Path, "datasets", "escaped.raw")).Should().BeFalse();
        File.Exists("/tmp/absolute-escaped.raw").Should().BeFalse();
        Directory.Exists(Path.Combine(_cache.Path, "datasets", "tiny-wiki", "tiny-raw")).Should().BeFalse("nothing is extracted from an unsafe archive");
    }

    [Theory]
    [InlineData(500)]
    [InlineData(404)]
    public async Task Http_errors_are_reported_with_the_status_and_how_to_supply_files_by_hand(int status)
    {
        await using var server = new LoopbackHttpServer();
        server.Serve(ArchiveName, "oops"u8.ToArray(), status);

        var act = () => new WikiTextDownloader().GetCorpusAsync(Descriptor(Sha("x")), Options(server));

        var error = (await act.Should().ThrowAsync<DataDownloadException>()).Which;
        error.Message.Should().Contain($"HTTP {status}").And.Contain("--data-dir").And.Contain(server.BaseUri + ArchiveName);
    }

    [Fact]
    public async Task No_server_listening_is_reported_as_a_download_failure()
    {
        // Take a free loopback port and close it again, so that connecting is refused.
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var options = new WikiTextDownloadOptions { BaseUri = new Uri($"http://127.0.0.1:{port}/"), CacheDirectory = _cache.Path };

        var act = () => new WikiTextDownloader().GetCorpusAsync(Descriptor(Sha("x")), options);

        var error = (await act.Should().ThrowAsync<DataDownloadException>()).Which;
        error.Message.Should().Contain("no network").And.Contain("--data-dir");
        error.InnerException.Should().BeOfType<HttpRequestException>();
    }

    [Fact]
    public void Real_datasets_use_the_official_host_and_pinned_hashes()
    {
        WikiTextDataset.WikiText2Raw.ArchiveUri().Should().Be(new Uri("https://wikitext.smerity.com/wikitext-2-raw-v1.zip"));
        WikiTextDataset.WikiText103Raw.ArchiveUri().Should().Be(new Uri("https://wikitext.smerity.com/wikitext-103-raw-v1.zip"));
        WikiTextDataset.WikiText2Raw.ArchiveSha256.Should().Be("ef7edb566e3e2b2d31b29c1fdb0c89a4cc683597484c3dc2517919c615435a11");
        WikiTextDataset.WikiText103Raw.ArchiveSha256.Should().Be("91c00ae287f0d699e18605c84afc9e45c192bc6b7797ff8837e5474655a33794");
        WikiTextDataset.WikiText2Raw.ArchiveUri(new Uri("http://mirror.local/wt")).Should().Be(new Uri("http://mirror.local/wt/wikitext-2-raw-v1.zip"));
    }
}
