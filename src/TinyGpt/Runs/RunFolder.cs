using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TinyGpt.Checkpoints;
using TinyGpt.Generation;
using TinyGpt.Interchange;
using TinyGpt.Modeling;
using TinyGpt.Serialization;
using TinyGpt.Tokenization;
using TinyGpt.Tokens;
using TinyGpt.Training;

namespace TinyGpt.Runs;

/// <summary>
/// The folder of one training run, and the one place that knows its layout: <c>prepare.json</c>,
/// <c>tokenizer/</c>, <c>data/*.tokens</c>, <c>config.json</c>, <c>metrics.jsonl</c>,
/// <c>checkpoints/</c>, <c>model.safetensors</c>, <c>tensorboard/</c> and (drawn by the CLI) <c>loss.png</c>. It answers the questions every
/// face (the CLI, <c>GptBuilder</c>, dependency injection) asks: open a prepared run, train its
/// model with checkpoints and resume, load its newest model and say which file it came from.
/// </summary>
public sealed class RunFolder : IDisposable
{
    private readonly Dictionary<string, TokenFile> _open = new(StringComparer.Ordinal);

    private RunFolder(string path, RunManifest manifest, ITextTokenizer tokenizer)
    {
        Path = path;
        Manifest = manifest;
        Tokenizer = tokenizer;
    }

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>What <c>prepare</c> recorded: corpus, tokenizer and splits.</summary>
    public RunManifest Manifest { get; }

    /// <summary>The run's tokenizer.</summary>
    public ITextTokenizer Tokenizer { get; }

    /// <summary>The run's model configuration (<c>config.json</c>), written when training starts.</summary>
    public string ConfigPath => Combine(Path, "config.json");

    /// <summary>The metrics of training, one JSON object per line (<c>metrics.jsonl</c>).</summary>
    public string MetricsPath => Combine(Path, "metrics.jsonl");

    /// <summary>The final weights with configuration (<c>model.safetensors</c>, a TinyGpt model file).</summary>
    public string ModelPath => PathsOf(Path).ModelPath;

    /// <summary>Where the <c>tinygpt</c> CLI draws the loss curves (<c>loss.png</c>); the library itself writes only <see cref="MetricsPath"/>.</summary>
    public string LossCurvePath => Combine(Path, "loss.png");

    /// <summary>The TensorBoard log folder: <c>tensorboard --logdir</c> this (<see cref="TrainingOptions.TensorBoard"/>).</summary>
    public string TensorBoardDirectory => Combine(Path, "tensorboard");

    /// <summary>The checkpoints of training.</summary>
    public string CheckpointsDirectory => Combine(Path, "checkpoints");

    /// <summary>The tokenizer's files (<c>vocab.json</c>, <c>merges.txt</c>).</summary>
    public string TokenizerDirectory => TokenizerDirectoryOf(Path);

    /// <summary>The checkpoint store of this run (keeping the default number of checkpoints).</summary>
    public CheckpointStore Checkpoints => new(CheckpointsDirectory);

    /// <summary>Whether <paramref name="path"/> is a prepared run folder.</summary>
    public static bool IsPrepared(string path) => File.Exists(ManifestPathOf(System.IO.Path.GetFullPath(path)));

    /// <summary>Opens a prepared run folder.</summary>
    /// <exception cref="FileNotFoundException">The folder was not prepared (<see cref="RunPreparer"/>).</exception>
    /// <exception cref="InvalidDataException">Its files are damaged or do not belong together.</exception>
    public static RunFolder Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = System.IO.Path.GetFullPath(path);
        var manifestPath = ManifestPathOf(full);
        if (!File.Exists(manifestPath))
        {
            throw new FileNotFoundException($"'{full}' is not a prepared run folder (it has no prepare.json): prepare it first.", manifestPath);
        }

        RunManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<RunManifest>(File.ReadAllText(manifestPath), JsonDefaults.Options)
                ?? throw new InvalidDataException($"'{manifestPath}' is empty.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{manifestPath}' is damaged: {ex.Message} Prepare the run folder again.", ex);
        }

        var tokenizer = manifest.Tokenizer == TokenizerKind.Gpt2 ? TextTokenizers.Gpt2() : TextTokenizers.Load(TokenizerDirectoryOf(full));
        if (tokenizer.Fingerprint != manifest.TokenizerFingerprint)
        {
            throw new InvalidDataException($"The tokenizer in '{TokenizerDirectoryOf(full)}' is not the one the splits were encoded with. Prepare the run folder again.");
        }

        return new RunFolder(full, manifest, tokenizer);
    }

    /// <summary>The prepared split named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The run has no such split.</exception>
    public PreparedSplit GetSplit(string name) =>
        Manifest.Splits.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException($"This run has no '{name}' split; it has: {string.Join(", ", Manifest.Splits.Select(s => s.Name))}.", nameof(name));

    /// <summary>The tokens of a split, memory-mapped (owned by this folder until it is disposed).</summary>
    public TokenFile OpenTokens(string name)
    {
        if (!_open.TryGetValue(name, out var file))
        {
            file = TokenFile.Open(Combine(Path, GetSplit(name).TokenFile));
            _open[name] = file;
        }

        return file;
    }

    /// <summary>Training data: the training split, and the evaluation split for validation.</summary>
    public TrainingData CreateTrainingData()
    {
        var eval = GetSplit(Manifest.EvalSplit);
        return new TrainingData(OpenTokens(Manifest.TrainSplit), Tokenizer)
        {
            Validation = OpenTokens(eval.Name),
            ValidationBytes = eval.Bytes,
            ValidationWords = eval.Words,
        };
    }

    /// <summary>The model configuration training wrote (<c>config.json</c>), or null before the first training.</summary>
    /// <exception cref="InvalidDataException">The file is damaged.</exception>
    public GptConfig? ReadConfig()
    {
        if (!File.Exists(ConfigPath))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<GptConfig>(File.ReadAllText(ConfigPath), JsonDefaults.Options)
                ?? throw new InvalidDataException($"'{ConfigPath}' is empty.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{ConfigPath}' is damaged: {ex.Message}", ex);
        }
    }

    /// <summary>Whether the run has a checkpoint to resume from.</summary>
    public bool HasCheckpoint => Checkpoints.List().Count > 0;

    /// <summary>
    /// A trainer for <paramref name="model"/> on this run's data, writing checkpoints, metrics, the
    /// final model and the loss curve here. Everything is checked first (the options against the model
    /// and the data, and, to resume, that the latest checkpoint belongs to this model and tokenizer);
    /// only then does it write <c>config.json</c> and remove temporary files that killed writers left.
    /// So a trainer that cannot be made changes no file.
    /// </summary>
    /// <param name="model">The model to train, fresh or pretrained.</param>
    /// <param name="options">How to train.</param>
    /// <param name="start">Whether to start afresh, continue from the latest checkpoint, or replace an earlier training.</param>
    /// <param name="logger">Where the trainer logs; only rank 0 logs.</param>
    /// <param name="collective">The ranks; null trains in this process alone. Only rank 0 writes.</param>
    /// <param name="observers">More observers, for example a progress display.</param>
    /// <exception cref="ArgumentException">The options do not fit the model or the data.</exception>
    /// <exception cref="CheckpointMismatchException">The latest checkpoint belongs to another model or tokenizer.</exception>
    /// <exception cref="InvalidDataException">The weights of <see cref="TrainingOptions.InitFrom"/> do not fit the model or this run's tokenizer.</exception>
    /// <exception cref="InvalidOperationException">With <see cref="TrainingStart.New"/>: the folder already holds a training.</exception>
    public Trainer CreateTrainer(GptModel model, TrainingOptions options, TrainingStart start = TrainingStart.New, ILogger? logger = null, ICollective? collective = null, IEnumerable<ITrainingObserver>? observers = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var store = new CheckpointStore(CheckpointsDirectory, options.KeepCheckpoints);
        var metrics = new MetricsFile(MetricsPath);
        var trainer = new Trainer(model, CreateTrainingData(), options, logger, collective)
        {
            Checkpoints = store,
            Sampler = options.SampleInterval > 0 ? new TrainingSampler(Tokenizer) : null,
            InitialWeights = PretrainedWeights.Instance,
            Observers = [metrics, .. options.TensorBoard ? [new TensorBoardFile(TensorBoardDirectory)] : Array.Empty<ITrainingObserver>(), new FinalModelWriter(ModelPath), .. observers ?? []],
        };
        if (options.InitFrom is { } init)
        {
            PretrainedWeights.Instance.Check(init, model.Config, Tokenizer);
        }

        var earlier = store.List();
        switch (start)
        {
            case TrainingStart.Resume:
                trainer.ResumeFromLatest();
                if (earlier.Count > 0)
                {
                    CheckpointStore.CheckCompatible(store.LatestPath ?? earlier[^1], model.Config, Tokenizer.Fingerprint);
                }

                break;
            case TrainingStart.New when earlier.Count > 0 || File.Exists(ModelPath):
                throw new InvalidOperationException(
                    $"'{Path}' already holds a training ({(earlier.Count > 0 ? System.IO.Path.GetFileName(earlier[^1]) : "model.safetensors")}). " +
                    "Continue it (resume), or restart to replace it: a new training here would mix its checkpoints with the earlier ones.");
        }

        if (collective?.IsPrimary ?? true)
        {
            if (start == TrainingStart.Restart)
            {
                RemoveTraining(earlier);
            }

            AtomicFile.WriteAllText(ConfigPath, JsonSerializer.Serialize(model.Config, JsonDefaults.Options));
            foreach (var abandoned in store.RemoveAbandonedTemporaryFiles().Concat(AtomicFile.RemoveAbandoned(Path)))
            {
                (logger ?? NullLogger.Instance).LogInformation("Removed {File}, left by a writer that was killed.", abandoned);
            }
        }

        return trainer;
    }

    /// <summary>
    /// Loads the run's newest model: the final <c>model.safetensors</c> or the latest complete
    /// checkpoint, whichever holds more training steps (a run resumed after it finished has a newer
    /// checkpoint than model file); or exactly <paramref name="file"/> when given.
    /// </summary>
    /// <param name="device"><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</param>
    /// <param name="file">A model file, checkpoint or Hugging Face folder to load instead.</param>
    /// <param name="logger">Told which file was loaded.</param>
    /// <exception cref="FileNotFoundException">The run has no trained model or checkpoint yet.</exception>
    public LoadedModel LoadModel(string device = "cpu", string? file = null, ILogger? logger = null)
    {
        var torchDevice = Devices.Resolve(device);
        logger ??= NullLogger.Instance;
        if (file is not null)
        {
            return Log(ModelLoader.Load(file, torchDevice));
        }

        var checkpoints = Checkpoints.List().Reverse().ToList();
        var modelSteps = File.Exists(ModelPath) ? ModelFile.ReadTrainedSteps(ModelPath) ?? int.MaxValue : (int?)null;
        foreach (var checkpoint in checkpoints)
        {
            var steps = CheckpointStore.ReadState(checkpoint).Step;
            if (modelSteps is { } saved && saved >= steps)
            {
                break;
            }

            try
            {
                return Log(new LoadedModel(CheckpointStore.LoadModel(checkpoint, torchDevice), checkpoint, ModelFileKind.Checkpoint));
            }
            catch (InvalidDataException ex)
            {
                logger.LogWarning("Skipping {Checkpoint}: {Problem}", checkpoint, ex.Message);
            }
        }

        return modelSteps is not null
            ? Log(new LoadedModel(ModelFile.Load(ModelPath, torchDevice), ModelPath, ModelFileKind.Model))
            : throw new FileNotFoundException($"'{Path}' has no trained model yet (neither model.safetensors nor a checkpoint): train the run first.", ModelPath);

        LoadedModel Log(LoadedModel loaded)
        {
            logger.LogInformation("Loaded the {Kind} {Path} on {Device}.", loaded.Kind, loaded.Source, device);
            return loaded;
        }
    }

    /// <summary>The run's newest model (see <see cref="LoadModel"/>) with its tokenizer, ready to generate.</summary>
    public TextGenerator LoadGenerator(string device = "cpu", ILogger? logger = null) => new(LoadModel(device, null, logger).Model, Tokenizer);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var file in _open.Values)
        {
            file.Dispose();
        }

        _open.Clear();
    }

    // Only what training wrote: the prepared tokenizer and token files stay.
    private void RemoveTraining(IReadOnlyList<string> checkpoints)
    {
        string[] outputs = [ModelPath, MetricsPath, LossCurvePath, ConfigPath, Combine(CheckpointsDirectory, "latest"), Combine(CheckpointsDirectory, "best")];
        foreach (var file in checkpoints.Concat(outputs).Where(File.Exists))
        {
            File.Delete(file);
        }

        if (Directory.Exists(TensorBoardDirectory))
        {
            foreach (var events in Directory.EnumerateFiles(TensorBoardDirectory, "events.out.tfevents.*"))
            {
                File.Delete(events);
            }
        }
    }

    internal static string ManifestPathOf(string folder) => Combine(folder, "prepare.json");

    /// <summary>The paths of a run folder that need not be prepared (for copying runs around).</summary>
    internal static RunPaths PathsOf(string folder)
    {
        var full = System.IO.Path.GetFullPath(folder);
        return new RunPaths(ManifestPathOf(full), TokenizerDirectoryOf(full), Combine(full, "model.safetensors"));
    }

    internal static string TokenizerDirectoryOf(string folder) => Combine(folder, "tokenizer");

    internal static string DataDirectoryOf(string folder) => Combine(folder, "data");

    private static string Combine(string folder, string name) => System.IO.Path.Combine(folder, name);

    internal sealed record RunPaths(string ManifestPath, string TokenizerDirectory, string ModelPath);
}
