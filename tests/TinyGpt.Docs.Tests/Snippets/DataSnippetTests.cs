using TinyGpt.Text;
using TinyGpt.Tokenization;
using TinyGpt.Tokens;
using TinyGpt.Training;
using TorchSharp;

namespace TinyGpt.Docs.Tests.Snippets;

/// <summary>docs/data.md: corpora, token files, training batches, evaluation windows.</summary>
public sealed class DataSnippetTests : IDisposable
{
    private readonly DocsWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    /// <summary>Compiled, not run: it downloads WikiText-2 from the internet.</summary>
    internal static async Task<WikiTextCorpus> DownloadWikiText(HttpClient httpClient, IProgress<DownloadProgress> progress, CancellationToken ct)
    {
        #region docs/data.md#wikitext-download
        var corpus = await new WikiTextDownloader(httpClient /* optional */)
            .GetCorpusAsync(WikiTextDataset.WikiText2Raw, new WikiTextDownloadOptions(), progress, ct);
        #endregion
        return corpus;
    }

    /// <summary>Compiled, not run: the folders are the reader's (and WikiText-103 is 500 MB).</summary>
    internal static IReadOnlyList<ITextCorpus> OpenFolders()
    {
        #region docs/data.md#wikitext-folder
        var corpus = WikiTextCorpus.FromFolder("/data/wikitext-2-raw");            // WikiText-2 hashes checked
        var other = WikiTextCorpus.FromFolder("/data/wikitext-103-raw", WikiTextDataset.WikiText103Raw);
        var mine = WikiTextCorpus.FromFolder("/data/my-wiki", verifyChecksums: false);
        #endregion
        return [corpus, other, mine];
    }

    [Fact]
    public void Text_files_become_a_corpus_whose_last_lines_are_the_validation_split()
    {
        var a = string.Join("\n", Enumerable.Range(1, 9).Select(i => $"a line {i}"));           // no final line break
        var b = string.Concat(Enumerable.Range(1, 10).Select(i => $"b line {i}\n"));
        _workspace.Write("a.txt", a);
        _workspace.Write("b.txt", b);
        using var scope = _workspace.Enter();

        #region docs/data.md#text-files
        var corpus = TextFilesCorpus.FromFiles(["a.txt", "b.txt"], validationFraction: 0.1, name: "mine");
        #endregion

        corpus.Name.Should().Be("mine");
        corpus.AvailableSplits.Should().Equal(SplitNames.Train, SplitNames.Valid);
        corpus.GetSplit("valid").ReadLines().Should().Equal("b line 9\n", "b line 10\n");   // ceil(19 x 0.1) = 2 lines
        corpus.GetSplit("train").ReadAllText().Should().Be(a + "\n" + string.Concat(Enumerable.Range(1, 8).Select(i => $"b line {i}\n")));
    }

    [Fact]
    public void A_token_file_holds_the_ids_of_every_line_of_the_split()
    {
        _workspace.Write("a.txt", string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog.\n", 30)));
        var corpus = TextFilesCorpus.FromFiles([_workspace.File("a.txt")], validationFraction: 0.1, name: "mine");
        var tokenizer = TextTokenizers.Gpt2();
        var tokenizerDir = _workspace.File("tokenizer");
        long written = 0;
        IProgress<long> progress = new ProgressRecorder<long>(n => written = n);
        var ct = CancellationToken.None;

        #region docs/data.md#token-files
        var path = TokenFileBuilder.DefaultPath(tokenizerDir, corpus.Name, SplitNames.Train); // {dir}/{corpus}.{split}.tokens
        using TokenFile tokens = TokenFileBuilder.GetOrBuild(corpus.GetSplit("train"), tokenizer, path, progress, ct);
        #endregion

        path.Should().Be(Path.Combine(tokenizerDir, "mine.train.tokens"));
        var expected = corpus.GetSplit("train").ReadLines().SelectMany(tokenizer.Encode).ToArray();
        tokens.ToArray().Should().Equal(expected);
        written.Should().Be(expected.Length);
        tokens.VocabSize.Should().Be(tokenizer.VocabSize);
    }

    [Fact]
    public void The_sampler_draws_shifted_input_and_target_windows_and_resumes_from_a_saved_position()
    {
        var tokens = new TokenArray(Enumerable.Range(0, 20_000).Select(i => i * 7 % 1000).ToArray());
        ICollective collective = SingleProcessCollective.Instance;
        var device = torch.CPU;
        var saved = new BatchPosition(0, 2);

        #region docs/data.md#training-batches
        var batches = new TokenBatchSource(tokens, new TokenBatchSourceOptions
        {
            ContextLength = 256,
            BatchSize = 16,
            Seed = 1234,
            Order = BatchOrder.ShuffledEpochs,         // or BatchOrder.RandomOffsets
            Rank = collective.Rank,
            WorldSize = collective.WorldSize,
        });
        batches.Seek(saved);                              // resume from a BatchPosition saved earlier (optional)
        TokenBatch batch = batches.NextBatch();           // or NextBatch(Span<long>) into your own buffer
        var (input, target) = batch.ToTensors(device);    // int64 [B, T] each
        BatchPosition position = batches.Position;        // save it with your checkpoint after the step
        #endregion

        input.shape.Should().Equal(16, 256);
        target.shape.Should().Equal(16, 256);
        input.data<long>().ToArray().Should().Equal(Enumerable.Range(0, 16).SelectMany(row => batch.Input(row).ToArray()));
        target.data<long>().ToArray().Should().Equal(Enumerable.Range(0, 16).SelectMany(row => batch.Target(row).ToArray()));
        batch.Input(3)[1..].ToArray().Should().Equal(batch.Target(3)[..^1].ToArray(), "the target is the input shifted by one");
        position.Should().Be(new BatchPosition(0, 3));

        var fresh = new TokenBatchSource(tokens, batches.Options);
        var again = new long[batch.Tokens.Length];
        fresh.ReadBatch(saved, again);
        again.Should().Equal(batch.Tokens, "a batch is a pure function of the seed and the position");
    }

    [Fact]
    public void Evaluation_windows_score_every_target_exactly_once()
    {
        var tokens = new TokenArray(Enumerable.Range(0, 1_000).ToArray());

        #region docs/data.md#evaluation-windows
        long scored = 0;
        foreach (var w in EvaluationWindows.Create(tokens.Count, contextLength: 256, stride: 128))
        {
            var buffer = new long[w.Length + 1];
            w.ReadTokens(tokens, buffer);      // input = buffer[..^1], target = buffer[1..]
            scored += w.ScoredCount;           // score only target positions [w.ScoredFrom, w.Length)
        }
        // scored == EvaluationWindows.ScoredTokenCount(tokens.Count): every target exactly once
        #endregion

        scored.Should().Be(999).And.Be(EvaluationWindows.ScoredTokenCount(tokens.Count));
    }
}
