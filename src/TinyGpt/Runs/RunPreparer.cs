using System.Globalization;
using System.Text;
using System.Text.Json;
using TinyGpt.Serialization;
using TinyGpt.Text;
using TinyGpt.Tokenization;
using TinyGpt.Tokens;
using TinyGpt.Validation;

namespace TinyGpt.Runs;

/// <summary>
/// Gets a run folder ready to train: fetches or opens the corpus, trains (or reuses) the tokenizer
/// on the training split, encodes every available split once into cached token files, and records
/// it all in <c>prepare.json</c>. Running it again reuses what is already there. Everything is
/// checked before the first file of the run folder is written, so a preparation that is refused
/// leaves the folder as it was.
/// </summary>
public static class RunPreparer
{
    /// <summary>Prepares the run folder named in <paramref name="options"/>.</summary>
    /// <param name="options">What to prepare.</param>
    /// <param name="status">Receives human-readable progress lines.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <exception cref="ArgumentException">An option is invalid or a split does not exist.</exception>
    /// <exception cref="InvalidOperationException">The folder already holds training done with another tokenizer, which this preparation would make unusable.</exception>
    /// <exception cref="DataDownloadException">The corpus could not be downloaded; the message says how to supply it by hand.</exception>
    public static async Task<RunFolder> PrepareAsync(RunPreparationOptions options, IProgress<string>? status = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.EnsureValid();
        var folder = Path.GetFullPath(options.RunDirectory);
        if (File.Exists(folder))
        {
            throw new ArgumentException($"'{folder}' is a file; the run folder must be a folder (or not exist yet).", nameof(options));
        }

        // Check: the corpus and its splits, then the tokenizer (trained in memory), then that the
        // folder holds no training the new tokenizer would orphan. Nothing is written before this.
        var corpus = await OpenCorpusAsync(options, status, cancellationToken).ConfigureAwait(false);
        foreach (var (split, setting) in new[] { (options.TrainSplit, nameof(options.TrainSplit)), (options.EvalSplit, nameof(options.EvalSplit)) })
        {
            if (!corpus.AvailableSplits.Contains(split))
            {
                throw new ArgumentException($"The corpus '{corpus.Name}' has no '{split}' split; it has: {string.Join(", ", corpus.AvailableSplits)}. Choose another {setting}.", setting);
            }
        }

        var tokenizer = PrepareTokenizer(options, corpus, folder, status);
        cancellationToken.ThrowIfCancellationRequested();
        RefuseToOrphanTraining(folder, tokenizer.Fingerprint);

        // Write: tokenizer files, token files, then prepare.json, which marks the folder as prepared.
        tokenizer.Save?.Invoke();
        var splits = new List<PreparedSplit>();
        foreach (var name in corpus.AvailableSplits)
        {
            var split = corpus.GetSplit(name);
            status?.Report($"Encoding the {name} split...");
            var path = TokenFileBuilder.DefaultPath(RunFolder.DataDirectoryOf(folder), corpus.Name, name);
            using var file = TokenFileBuilder.GetOrBuild(split, tokenizer.Tokenizer, path, cancellationToken: cancellationToken);
            var words = split.CountWords().Words;
            var bytes = split.ReadLines().Sum(line => (long)Encoding.UTF8.GetByteCount(line));
            splits.Add(new PreparedSplit(name, Path.GetRelativePath(folder, path), file.Count, words, bytes));
            status?.Report(string.Create(CultureInfo.InvariantCulture, $"  {name}: {file.Count:N0} tokens, {words:N0} words, {(double)file.Count / Math.Max(1, words):F3} tokens per word"));
        }

        var manifest = new RunManifest
        {
            Corpus = corpus.Name,
            Tokenizer = options.Tokenizer,
            TokenizerFingerprint = tokenizer.Fingerprint,
            VocabSize = tokenizer.Tokenizer.VocabSize,
            TrainSplit = options.TrainSplit,
            EvalSplit = options.EvalSplit,
            Splits = splits,
        };
        AtomicFile.WriteAllText(RunFolder.ManifestPathOf(folder), JsonSerializer.Serialize(manifest, JsonDefaults.Options));
        return RunFolder.Open(folder);
    }

    private static async Task<ITextCorpus> OpenCorpusAsync(RunPreparationOptions options, IProgress<string>? status, CancellationToken cancellationToken)
    {
        if (options.TextFiles.Count > 0)
        {
            status?.Report($"Reading {options.TextFiles.Count} text file(s)...");
            return TextFilesCorpus.FromFiles(options.TextFiles, options.ValidationFraction);
        }

        var dataset = options.Dataset;
        if (options.DataDirectory is { } local)
        {
            status?.Report($"Opening {dataset.Name} from {local} (verifying checksums)...");
            return WikiTextCorpus.FromFolder(local, dataset);
        }

        status?.Report($"Getting {dataset.Name} (downloaded once, then cached)...");
        var downloadOptions = new WikiTextDownloadOptions { CacheDirectory = options.CacheDirectory };
        if (options.DownloadBaseUri is { } baseUri)
        {
            downloadOptions = downloadOptions with { BaseUri = baseUri };
        }

        return await new WikiTextDownloader().GetCorpusAsync(dataset, downloadOptions, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The run's tokenizer, ready in memory; <see cref="PreparedTokenizer.Save"/> writes its files when it is new.</summary>
    private static PreparedTokenizer PrepareTokenizer(RunPreparationOptions options, ITextCorpus corpus, string folder, IProgress<string>? status)
    {
        if (options.Tokenizer == TokenizerKind.Gpt2)
        {
            status?.Report("Using the pretrained GPT-2 tokenizer.");
            var gpt2 = TextTokenizers.Gpt2();
            return new PreparedTokenizer(gpt2, gpt2.Fingerprint, null);
        }

        var directory = RunFolder.TokenizerDirectoryOf(folder);
        if (options.Tokenizer == TokenizerKind.Folder)
        {
            var source = Path.GetFullPath(options.TokenizerDirectory!);
            status?.Report($"Using the tokenizer of {source}.");
            BpeVocabulary copied;
            try
            {
                copied = BpeVocabulary.Load(source);
            }
            catch (FileNotFoundException ex)
            {
                throw new ArgumentException($"{nameof(options.TokenizerDirectory)} '{source}' holds no tokenizer: {ex.Message}", nameof(options), ex);
            }

            return new PreparedTokenizer(new BpeTextTokenizer(copied), copied.Fingerprint, () =>
            {
                copied.Save(directory);
                File.Delete(Path.Combine(directory, "training.json"));
            });
        }

        var marker = Path.Combine(directory, "training.json");
        var settings = JsonSerializer.Serialize(new { corpus = corpus.Name, split = options.TrainSplit, sha256 = corpus.GetSplit(options.TrainSplit).ComputeSha256(), vocab = options.VocabSize, minFrequency = options.MinFrequency });
        if (File.Exists(marker) && File.ReadAllText(marker) == settings)
        {
            status?.Report("Reusing the tokenizer trained earlier in this run folder.");
            var existing = TextTokenizers.Load(directory);
            return new PreparedTokenizer(existing, existing.Fingerprint, null);
        }

        status?.Report($"Training a byte-level BPE tokenizer (vocab {options.VocabSize:N0}, min frequency {options.MinFrequency}) on the {options.TrainSplit} split...");
        var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = options.VocabSize, MinFrequency = options.MinFrequency });
        var vocabulary = trainer.Train(corpus.GetSplit(options.TrainSplit).ReadLines());
        if (vocabulary.Tokens.Count < options.VocabSize)
        {
            status?.Report(string.Create(CultureInfo.InvariantCulture, $"warning: the tokenizer has {vocabulary.Tokens.Count:N0} tokens, not the {options.VocabSize:N0} asked for: the {options.TrainSplit} split has no more pairs seen at least {options.MinFrequency} times. Any vocabulary size from {vocabulary.Tokens.Count:N0} up gives this same tokenizer; more text gives a larger one."));
        }

        return new PreparedTokenizer(new BpeTextTokenizer(vocabulary), vocabulary.Fingerprint, () =>
        {
            vocabulary.Save(directory);
            AtomicFile.WriteAllText(marker, settings);
        });
    }

    /// <summary>Refuses a tokenizer change in a folder whose checkpoints or model were trained with the old one.</summary>
    private static void RefuseToOrphanTraining(string folder, string fingerprint)
    {
        if (!RunFolder.IsPrepared(folder))
        {
            return;
        }

        RunFolder existing;
        try
        {
            existing = RunFolder.Open(folder);
        }
        catch (InvalidDataException)
        {
            return; // a damaged preparation is what preparing again repairs
        }

        using var opened = existing;
        if (existing.Manifest.TokenizerFingerprint == fingerprint)
        {
            return;
        }

        if (existing.HasCheckpoint || File.Exists(existing.ModelPath))
        {
            throw new InvalidOperationException(
                $"'{folder}' holds a model trained with its current tokenizer ({existing.Manifest.Tokenizer}, {existing.Manifest.VocabSize:N0} tokens); " +
                "preparing it with another tokenizer would make that model and its checkpoints unusable. Prepare a new run folder instead, " +
                "or delete the folder's checkpoints and model.safetensors first.");
        }
    }

    private sealed record PreparedTokenizer(ITextTokenizer Tokenizer, string Fingerprint, Action? Save);
}
