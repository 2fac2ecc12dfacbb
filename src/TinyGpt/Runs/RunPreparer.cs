using System.Globalization;
using System.Text;
using System.Text.Json;
using TinyGpt.Checkpoints;
using TinyGpt.Serialization;
using TinyGpt.Text;
using TinyGpt.Tokenization;
using TinyGpt.Tokens;

namespace TinyGpt.Runs;

/// <summary>
/// Gets a run folder ready to train: fetches or opens the corpus, trains (or loads) the tokenizer
/// on the training split, encodes every available split once into cached token files, and records
/// it all in <c>prepare.json</c>. Running it again reuses what is already there.
/// </summary>
public static class RunPreparer
{
    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Prepares the run folder named in <paramref name="options"/>.</summary>
    /// <param name="options">What to prepare.</param>
    /// <param name="status">Receives human-readable progress lines.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <exception cref="ArgumentException">An option is invalid or a split does not exist.</exception>
    /// <exception cref="DataDownloadException">The corpus could not be downloaded; the message says how to supply it by hand.</exception>
    public static async Task<PreparedRun> PrepareAsync(RunPreparationOptions options, IProgress<string>? status = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var run = new RunDirectory(options.RunDirectory).Create();
        var corpus = await OpenCorpusAsync(options, status, cancellationToken).ConfigureAwait(false);
        foreach (var split in new[] { options.TrainSplit, options.EvalSplit })
        {
            if (!corpus.AvailableSplits.Contains(split))
            {
                throw new ArgumentException($"The corpus '{corpus.Name}' has no '{split}' split; it has: {string.Join(", ", corpus.AvailableSplits)}. Choose others with --train-split / --eval-split.", nameof(options));
            }
        }

        var tokenizer = GetTokenizer(options, corpus, run, status);
        cancellationToken.ThrowIfCancellationRequested();
        var splits = new List<PreparedSplit>();
        foreach (var name in corpus.AvailableSplits)
        {
            var split = corpus.GetSplit(name);
            status?.Report($"Encoding the {name} split...");
            var path = TokenFileBuilder.DefaultPath(run.DataDirectory, corpus.Name, name);
            using var file = TokenFileBuilder.GetOrBuild(split, tokenizer, path, cancellationToken: cancellationToken);
            var words = split.CountWords().Words;
            var bytes = split.ReadLines().Sum(line => (long)Encoding.UTF8.GetByteCount(line));
            splits.Add(new PreparedSplit(name, Path.GetRelativePath(run.Path, path), file.Count, words, bytes));
            status?.Report(string.Create(CultureInfo.InvariantCulture, $"  {name}: {file.Count:N0} tokens, {words:N0} words, {(double)file.Count / words:F3} tokens per word"));
        }

        var manifest = new RunManifest
        {
            Corpus = corpus.Name,
            Tokenizer = options.Tokenizer,
            TokenizerFingerprint = tokenizer.Fingerprint,
            VocabSize = tokenizer.VocabSize,
            TrainSplit = options.TrainSplit,
            EvalSplit = options.EvalSplit,
            Splits = splits,
        };
        AtomicFile.WriteAllText(run.PreparationPath, JsonSerializer.Serialize(manifest, Json));
        return PreparedRun.Open(run.Path);
    }

    private static async Task<ITextCorpus> OpenCorpusAsync(RunPreparationOptions options, IProgress<string>? status, CancellationToken cancellationToken)
    {
        if (options.TextFiles.Count > 0)
        {
            status?.Report($"Reading {options.TextFiles.Count} text file(s)...");
            return TextFilesCorpus.FromFiles(options.TextFiles, options.ValidationFraction);
        }

        var dataset = options.Dataset.Trim().ToUpperInvariant() switch
        {
            "WIKITEXT-2" or "WIKITEXT2" => WikiTextDataset.WikiText2Raw,
            "WIKITEXT-103" or "WIKITEXT103" => WikiTextDataset.WikiText103Raw,
            _ => throw new ArgumentException($"Unknown dataset '{options.Dataset}'. Use wikitext-2 or wikitext-103, or give your own --text files.", nameof(options)),
        };
        if (options.DataDirectory is { } folder)
        {
            status?.Report($"Opening {dataset.Name} from {folder} (verifying checksums)...");
            return WikiTextCorpus.FromFolder(folder, dataset);
        }

        status?.Report($"Getting {dataset.Name} (downloaded once, then cached)...");
        var downloadOptions = new WikiTextDownloadOptions { CacheDirectory = options.CacheDirectory };
        if (options.DownloadBaseUri is { } baseUri)
        {
            downloadOptions = downloadOptions with { BaseUri = baseUri };
        }

        return await new WikiTextDownloader().GetCorpusAsync(dataset, downloadOptions, null, cancellationToken).ConfigureAwait(false);
    }

    private static ITextTokenizer GetTokenizer(RunPreparationOptions options, ITextCorpus corpus, RunDirectory run, IProgress<string>? status)
    {
        switch (options.Tokenizer.Trim().ToUpperInvariant())
        {
            case "GPT2":
                status?.Report("Using the pretrained GPT-2 tokenizer.");
                return TextTokenizers.Gpt2();
            case "BPE":
                var marker = Path.Combine(run.TokenizerDirectory, "training.json");
                var settings = JsonSerializer.Serialize(new { corpus = corpus.Name, split = options.TrainSplit, sha256 = corpus.GetSplit(options.TrainSplit).ComputeSha256(), vocab = options.VocabSize, minFrequency = options.MinFrequency });
                if (File.Exists(marker) && File.ReadAllText(marker) == settings)
                {
                    status?.Report("Reusing the tokenizer trained earlier in this run folder.");
                    return TextTokenizers.Load(run.TokenizerDirectory);
                }

                status?.Report($"Training a byte-level BPE tokenizer (vocab {options.VocabSize:N0}, min frequency {options.MinFrequency}) on the {options.TrainSplit} split...");
                var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = options.VocabSize, MinFrequency = options.MinFrequency });
                var vocabulary = trainer.Train(corpus.GetSplit(options.TrainSplit).ReadLines());
                vocabulary.Save(run.TokenizerDirectory);
                AtomicFile.WriteAllText(marker, settings);
                return TextTokenizers.Load(run.TokenizerDirectory);
            default:
                throw new ArgumentException($"Unknown tokenizer '{options.Tokenizer}'. Use bpe (train one on the corpus) or gpt2 (pretrained).", nameof(options));
        }
    }
}
