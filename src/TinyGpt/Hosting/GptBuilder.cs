using Microsoft.Extensions.Logging;
using TinyGpt.Interchange;
using TinyGpt.Modeling;
using TinyGpt.Training;

namespace TinyGpt.Hosting;

/// <summary>
/// Configures a whole training run fluently and builds a <see cref="GptPipeline"/> that prepares
/// the data, trains, evaluates and generates:
/// <code>
/// using var pipeline = new GptBuilder()
///     .WithCorpus(CorpusSource.Text(text))
///     .WithTokenizer(TokenizerSource.Bpe(vocabSize: 512))
///     .WithModel(GptPreset.Tiny)
///     .WithTraining(t => { t.MaxSteps = 200; t.BatchSize = 8; })
///     .WithRunDirectory("runs/demo")
///     .Build();
/// await pipeline.TrainAsync();
/// var text = await pipeline.GenerateAsync("Once upon a time");
/// </code>
/// </summary>
/// <remarks>Not thread-safe: configure on one thread, then <see cref="Build"/>.</remarks>
public sealed class GptBuilder
{
    private readonly List<Action<TrainingOptions>> _training = [];
    private CorpusSource? _corpus;
    private TokenizerSource? _tokenizer;
    private string? _initFrom;
    private GptConfig? _config;
    private GptPreset? _preset;
    private bool _modelForTimeBudget;
    private string? _runDirectory;
    private ILogger? _logger;
    private ICollective? _collective;
    private long _seed = 1337;
    private bool _resume;

    /// <summary>What to train on (required).</summary>
    public GptBuilder WithCorpus(CorpusSource corpus)
    {
        _corpus = corpus;
        return this;
    }

    /// <summary>Which tokenizer to use; the default trains a 16,000-token BPE on the corpus.</summary>
    public GptBuilder WithTokenizer(TokenizerSource tokenizer)
    {
        _tokenizer = tokenizer;
        return this;
    }

    /// <summary>The model's shape; its <see cref="GptConfig.VocabSize"/> is replaced by the tokenizer's. The default is the <c>tiny</c> preset.</summary>
    public GptBuilder WithModel(GptConfig config)
    {
        _config = config;
        _preset = null;
        _modelForTimeBudget = false;
        return this;
    }

    /// <summary>The model's shape by preset.</summary>
    public GptBuilder WithModel(GptPreset preset)
    {
        _preset = preset;
        _config = null;
        _modelForTimeBudget = false;
        return this;
    }

    /// <summary>
    /// Lets <see cref="AutoPreset"/> choose the preset for the training's
    /// <see cref="TrainingOptions.TimeBudget"/> when training starts, by timing training steps on
    /// this machine (<c>tinygpt train --preset auto</c>); the timing comes out of the budget, and
    /// <see cref="GptPipeline.ModelChoice"/> says what was chosen and why. A pipeline that resumes a
    /// run keeps the model the run started with. <see cref="TrainingOptions.ContextLength"/>, when
    /// set, replaces the presets' context lengths.
    /// </summary>
    public GptBuilder WithModelForTimeBudget()
    {
        _modelForTimeBudget = true;
        _preset = null;
        _config = null;
        return this;
    }

    /// <summary>
    /// Fine-tunes: training starts from the weights at <paramref name="path"/> (a Hugging Face GPT-2
    /// folder, a TinyGpt model file or a checkpoint; <see cref="TrainingOptions.InitFrom"/>), and the
    /// model's shape is theirs. Unless <see cref="WithTokenizer"/> says otherwise, a folder's own
    /// tokenizer (<c>vocab.json</c> + <c>merges.txt</c>) is used, so token ids mean what they meant.
    /// </summary>
    /// <param name="path">The weights.</param>
    public GptBuilder InitFrom(string path)
    {
        _initFrom = path;
        return this;
    }

    /// <summary>Changes the training options (batch size, steps, learning rate, device...); may be called more than once.</summary>
    public GptBuilder WithTraining(Action<TrainingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        _training.Add(configure);
        return this;
    }

    /// <summary>The run folder for the tokenizer, token files, checkpoints, metrics and the final model (required).</summary>
    public GptBuilder WithRunDirectory(string path)
    {
        _runDirectory = path;
        return this;
    }

    /// <summary>Where preparation and training log to; the default logs nothing.</summary>
    public GptBuilder WithLogger(ILogger logger)
    {
        _logger = logger;
        return this;
    }

    /// <summary>Trains data-parallel with the ranks of <paramref name="collective"/> (for example an MPI collective from TinyGpt.Distributed).</summary>
    public GptBuilder WithCollective(ICollective collective)
    {
        _collective = collective;
        return this;
    }

    /// <summary>Seed of the model's initial weights.</summary>
    public GptBuilder WithSeed(long seed)
    {
        _seed = seed;
        return this;
    }

    /// <summary>
    /// Makes <see cref="GptPipeline.TrainAsync"/> continue from the run folder's latest checkpoint
    /// (weights, optimizer moments, schedule, data position and random state) when the folder has
    /// one, for example after a cancelled or crashed run; without a checkpoint it trains from the
    /// start. Configure the same model and training options as the interrupted run: a checkpoint of
    /// another model or tokenizer is refused when training starts.
    /// </summary>
    /// <param name="resume">False trains a fresh model, the default.</param>
    public GptBuilder ResumeFromLatestCheckpoint(bool resume = true)
    {
        _resume = resume;
        return this;
    }

    /// <summary>Checks everything at once and builds the pipeline. Nothing is downloaded or trained yet.</summary>
    /// <exception cref="GptBuilderValidationException">Something is missing or invalid; <see cref="GptBuilderValidationException.Problems"/> lists every problem.</exception>
    public GptPipeline Build()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(_runDirectory))
        {
            problems.Add("No run folder: call WithRunDirectory(path).");
        }

        if (_corpus is null)
        {
            problems.Add("No corpus: call WithCorpus(CorpusSource.WikiText()), CorpusSource.TextFiles(...) or CorpusSource.Text(...).");
        }
        else
        {
            problems.AddRange(_corpus.Validate());
        }

        GptConfig? config = _modelForTimeBudget ? null : _preset is { } preset ? GptConfig.FromPreset(preset) : _config ?? GptConfig.Tiny;
        var tokenizer = _tokenizer;
        if (_initFrom is not null)
        {
            if (_preset is not null || _config is not null || _modelForTimeBudget)
            {
                problems.Add("InitFrom takes the model's shape from the weights; leave out WithModel and WithModelForTimeBudget.");
            }

            try
            {
                config = ModelLoader.ReadConfig(_initFrom);
                if (tokenizer is null && Directory.Exists(_initFrom) && HuggingFaceGpt2.LoadTokenizer(_initFrom) is not null)
                {
                    tokenizer = TokenizerSource.FromFolder(_initFrom);
                }
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                problems.Add($"InitFrom: {ex.Message}");
                config = null;
            }
        }

        tokenizer ??= TokenizerSource.Bpe();
        problems.AddRange(tokenizer.Validate());

        if (config is not null)
        {
            // The vocabulary comes from the tokenizer, so it is not checked here.
            problems.AddRange(config.Validate().Where(p => !p.StartsWith(nameof(GptConfig.VocabSize), StringComparison.Ordinal)).Select(p => "Model: " + p));
        }

        var training = new TrainingOptions();
        foreach (var configure in _training)
        {
            configure(training);
        }

        if (_initFrom is not null)
        {
            training.InitFrom = Path.GetFullPath(_initFrom);
        }

        problems.AddRange(training.Validate().Select(p => "Training: " + p));
        if (_modelForTimeBudget && _initFrom is null && training.TimeBudget is null)
        {
            problems.Add("WithModelForTimeBudget chooses the model for a time budget: set one with WithTraining(t => t.TimeBudget = TimeSpan.FromMinutes(20)), or call WithModel.");
        }

        if (config is not null && training.ContextLength > config.ContextLength)
        {
            problems.Add($"Training: ContextLength ({training.ContextLength}) is longer than the model's context length ({config.ContextLength}).");
        }

        if (problems.Count > 0)
        {
            throw new GptBuilderValidationException(problems);
        }

        return new GptPipeline(_runDirectory!, _corpus!, tokenizer, config, training, _seed, _logger, _collective, _resume);
    }
}
