using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TinyGpt.Generation;
using TinyGpt.Modeling;
using TinyGpt.Runs;
using TinyGpt.Training;
using TinyGpt.Validation;

namespace TinyGpt.Hosting;

/// <summary>
/// A configured training run, built by <see cref="GptBuilder"/>: prepares the corpus and tokenizer
/// (<see cref="RunPreparer"/>), trains (<see cref="Trainer"/>), evaluates and generates. Without a
/// call to <see cref="TrainAsync"/>, evaluation and generation use the model already trained in the
/// run folder (<c>model.safetensors</c> or the latest checkpoint).
/// </summary>
/// <remarks>
/// Thread-safe: preparation, training and model loading take turns; concurrent generations are
/// decoded together by the underlying <see cref="TextGenerator"/>. Do not generate while training the same pipeline:
/// generation waits until training has finished. Training again replaces the pipeline's model;
/// generators handed out earlier by <see cref="GetGeneratorAsync"/> keep the model they had.
/// </remarks>
public sealed class GptPipeline : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CorpusSource _corpus;
    private readonly TokenizerSource _tokenizer;
    private readonly long _seed;
    private readonly ILogger _logger;
    private readonly ICollective? _collective;
    private RunFolder? _run;
    private GptModel? _model;
    private TextGenerator? _generator;
    private bool _disposed;

    internal GptPipeline(string runDirectory, CorpusSource corpus, TokenizerSource tokenizer, GptConfig? model, TrainingOptions training, long seed, ILogger? logger, ICollective? collective, bool resumeFromLatestCheckpoint)
    {
        RunDirectory = Path.GetFullPath(runDirectory);
        _corpus = corpus;
        _tokenizer = tokenizer;
        ModelConfig = model;
        TrainingOptions = training;
        _seed = seed;
        _logger = logger ?? NullLogger.Instance;
        _collective = collective;
        ResumesFromLatestCheckpoint = resumeFromLatestCheckpoint;
    }

    /// <summary>The run folder.</summary>
    public string RunDirectory { get; }

    /// <summary>The model's shape as configured; the vocabulary size is set from the tokenizer when training starts. Null when <see cref="GptBuilder.WithModelForTimeBudget"/> lets training choose it (<see cref="ModelChoice"/>).</summary>
    public GptConfig? ModelConfig { get; }

    /// <summary>What <see cref="GptBuilder.WithModelForTimeBudget"/> chose when <see cref="TrainAsync"/> started, and why; null before that, or when the model was given or resumed.</summary>
    public AutoPresetChoice? ModelChoice { get; private set; }

    /// <summary>The training options (a validated copy; changing it after <see cref="GptBuilder.Build"/> has no effect on a run under way).</summary>
    public TrainingOptions TrainingOptions { get; }

    /// <summary>Whether <see cref="TrainAsync"/> continues from the run folder's latest checkpoint when there is one (<see cref="GptBuilder.ResumeFromLatestCheckpoint"/>).</summary>
    public bool ResumesFromLatestCheckpoint { get; }

    /// <summary>Prepares the run folder: gets the corpus, trains or reuses the tokenizer, encodes the splits. Reuses what is already there; <see cref="TrainAsync"/> calls it when needed.</summary>
    /// <param name="status">Receives human-readable progress lines.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    public async Task<RunFolder> PrepareAsync(IProgress<string>? status = null, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await PrepareCoreAsync(status, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Prepares the run if needed, then trains a fresh model on it (replacing what an earlier
    /// training left in the folder), or continues from the latest checkpoint when
    /// <see cref="ResumesFromLatestCheckpoint"/> is set and the folder has one, writing checkpoints,
    /// metrics and <c>model.safetensors</c> to the run folder.
    /// </summary>
    /// <param name="progress">Receives a snapshot after each logged step.</param>
    /// <param name="cancellationToken">Stops at the next step boundary; a checkpoint is saved first (a pipeline built with <see cref="GptBuilder.ResumeFromLatestCheckpoint"/> continues from it), then <see cref="TrainingStoppedException"/> is thrown.</param>
    public async Task<TrainingResult> TrainAsync(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var run = await PrepareCoreAsync(null, cancellationToken).ConfigureAwait(false);
            // Pretrained weights keep their own vocabulary size (PretrainedWeights checks that the tokenizer is theirs).
            var (config, options) = ModelConfig is null ? ChooseModel(run, cancellationToken)
                : ((TrainingOptions.InitFrom is null ? ModelConfig with { VocabSize = run.Tokenizer.VocabSize } : ModelConfig).EnsureValid(), TrainingOptions);
            var model = new GptModel(config, _seed);
            try
            {
                var trainer = run.CreateTrainer(model, options, ResumesFromLatestCheckpoint ? TrainingStart.Resume : TrainingStart.Restart, _logger, _collective);
                var result = await trainer.TrainAsync(progress, cancellationToken).ConfigureAwait(false);
                ReplaceModel(model);
                return result;
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The model <see cref="AutoPreset"/> chooses for the time budget, and the options with the
    /// time the choice took taken out of the budget; a resumed run's own model instead.
    /// </summary>
    private (GptConfig Config, TrainingOptions Options) ChooseModel(RunFolder run, CancellationToken cancellationToken)
    {
        if (ResumesFromLatestCheckpoint && run.HasCheckpoint && run.ReadConfig() is { } saved)
        {
            return (saved.EnsureValid(), TrainingOptions);
        }

        GptConfig Shape(GptPreset preset) => GptConfig.FromPreset(preset) with
        {
            VocabSize = run.Tokenizer.VocabSize,
            ContextLength = TrainingOptions.ContextLength ?? GptConfig.FromPreset(preset).ContextLength,
        };
        var choice = AutoPreset.Choose(Shape, run.GetSplit(run.Manifest.TrainSplit).Tokens, TrainingOptions, _collective, cancellationToken);
        ModelChoice = choice;
        _logger.LogInformation("The model for the time budget: {Choice}, chosen in {Seconds:F1} s of it.", choice, choice.Elapsed.TotalSeconds);
        var options = TrainingOptions.Clone();
        options.TimeBudget = choice.BudgetLeft; // the timing is part of the run
        return (choice.Config.EnsureValid(), options);
    }

    /// <summary>Scores the model on a prepared split (<c>train</c>, <c>valid</c> or <c>test</c>).</summary>
    /// <param name="split">The split to score.</param>
    /// <param name="cancellationToken">Cancels before scoring starts.</param>
    /// <exception cref="ArgumentException">The run has no such split.</exception>
    /// <exception cref="FileNotFoundException">Nothing was trained yet.</exception>
    public async Task<EvaluationResult> EvaluateAsync(string split = "valid", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(split);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var run = await PrepareCoreAsync(null, cancellationToken).ConfigureAwait(false);
            var info = run.GetSplit(split);
            var model = GetModelCore(run);
            var tokens = run.OpenTokens(split);
            var settings = new EvaluationSettings { BatchSize = TrainingOptions.BatchSize, ContextLength = TrainingOptions.ContextLength, Bytes = info.Bytes, Words = info.Words };
            return await Task.Run(() => ModelEvaluator.Evaluate(model, tokens, settings, cancellationToken: cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Generates a completion of <paramref name="prompt"/> (without the prompt).</summary>
    /// <exception cref="FileNotFoundException">Nothing was trained yet.</exception>
    public async Task<string> GenerateAsync(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var generator = await GetGeneratorAsync(cancellationToken).ConfigureAwait(false);
        return await generator.GenerateAsync(prompt, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Streams the completion of <paramref name="prompt"/> piece by piece as text forms.</summary>
    /// <exception cref="FileNotFoundException">Nothing was trained yet.</exception>
    public async IAsyncEnumerable<string> GenerateStreamingAsync(string prompt, GenerationOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var generator = await GetGeneratorAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var piece in generator.GenerateStreamingAsync(prompt, options, cancellationToken).ConfigureAwait(false))
        {
            yield return piece;
        }
    }

    /// <summary>The generator over the trained model (training it is up to you: this loads what the run folder holds).</summary>
    /// <exception cref="FileNotFoundException">Nothing was trained yet.</exception>
    public async Task<TextGenerator> GetGeneratorAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var run = await PrepareCoreAsync(null, cancellationToken).ConfigureAwait(false);
            var model = GetModelCore(run);
            return _generator ??= new TextGenerator(model, run.Tokenizer);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _model?.Dispose();
        _run?.Dispose();
        _gate.Dispose();
    }

    private async Task<RunFolder> PrepareCoreAsync(IProgress<string>? status, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_run is not null)
        {
            return _run;
        }

        var options = new RunPreparationOptions { RunDirectory = RunDirectory };
        _corpus.ApplyTo(options);
        _tokenizer.ApplyTo(options);
        var logged = new LoggingProgress(_logger, status);
        _logger.LogInformation("Preparing {Run}: corpus {Corpus}, tokenizer {Tokenizer}.", RunDirectory, _corpus.Description, _tokenizer.Kind);
        _run = await RunPreparer.PrepareAsync(options, logged, cancellationToken).ConfigureAwait(false);
        return _run;
    }

    private GptModel GetModelCore(RunFolder run)
    {
        if (_model is null)
        {
            ReplaceModel(run.LoadModel(TrainingOptions.Device, logger: _logger).Model);
        }

        return _model!;
    }

    private void ReplaceModel(GptModel model)
    {
        // The previous model is not disposed: a generator handed out earlier may still be using it.
        _model = model;
        _generator = null;
    }

    private sealed class LoggingProgress(ILogger logger, IProgress<string>? inner) : IProgress<string>
    {
        public void Report(string value)
        {
            logger.LogInformation("{Status}", value);
            inner?.Report(value);
        }
    }
}
