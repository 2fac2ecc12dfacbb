using System.CommandLine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;
using TinyGpt.Distributed;
using TinyGpt.Modeling;
using TinyGpt.Runs;
using TinyGpt.Training;

namespace TinyGpt.Cli.Commands;

/// <summary><c>tinygpt train</c>: trains (data-parallel when launched by mpirun) with checkpoints and resume.</summary>
internal static class TrainCommand
{
    public static readonly Option<string> Run = new("--run") { Description = "The prepared run folder.", Required = true };
    public static readonly Option<string> Preset = CliOptions.Preset();
    public static readonly Option<int?> MaxSteps = new("--max-steps") { Description = "Optimizer steps (default: one epoch)." };
    public static readonly Option<int?> Epochs = new("--epochs") { Description = "Epochs when --max-steps is not given." };
    public static readonly Option<TimeSpan?> TimeBudget = new("--time-budget")
    {
        Description = "Wall-clock time for the whole run (20m, 90s, 1h30m): the step count is chosen from the measured speed so warmup and cosine decay end in time. Not with --max-steps or --epochs.",
        CustomParser = result => Durations.Parse(result.Tokens.Single().Value, out var error) is { } value ? value : Fail(result, error!),
    };

    public static readonly Option<string> BatchOrder = CliOptions.BatchOrder();
    public static readonly Option<int> BatchSize = new("--batch-size") { Description = "Sequences per micro-batch per process.", DefaultValueFactory = _ => 16 };
    public static readonly Option<int?> Context = new("--context") { Description = "Context length (default: the preset's)." };
    public static readonly Option<double> LearningRate = new("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => 1e-3 };
    public static readonly Option<int?> Warmup = new("--warmup") { Description = "Warmup steps (default: 10% of the run, at most 200)." };
    public static readonly Option<int> GradAccum = new("--grad-accum") { Description = "Micro-batches per optimizer step.", DefaultValueFactory = _ => 1 };
    public static readonly Option<int> EvalInterval = new("--eval-interval") { Description = "Steps between evaluations and checkpoints (0: only at the end).", DefaultValueFactory = _ => 200 };
    public static readonly Option<long> Seed = new("--seed") { Description = "Seed of weights, dropout and data order.", DefaultValueFactory = _ => 1337 };
    public static readonly Option<int?> Threads = new("--threads") { Description = "CPU threads (default: all cores, shared between the ranks of a node)." };
    public static readonly Option<bool> Resume = new("--resume") { Description = "Continue from the run's latest checkpoint." };
    public static readonly Option<bool> Restart = new("--restart") { Description = "Delete the run's earlier training (checkpoints, model, metrics) and train from the start." };
    public static readonly Option<string> Device = CliOptions.Device();
    public static readonly Option<double?> Dropout = new("--dropout") { Description = "Dropout on the residual branches, and on attention and embeddings unless given apart (default: the preset's)." };
    public static readonly Option<double?> AttentionDropout = new("--attention-dropout") { Description = "Dropout on the attention weights (default: --dropout)." };
    public static readonly Option<double?> EmbeddingDropout = new("--embedding-dropout") { Description = "Dropout on the token and position embeddings (default: --dropout)." };
    public static readonly Option<double> LabelSmoothing = new("--label-smoothing") { Description = "Label smoothing of the training loss, in [0, 1): that share of each target's probability is spread over the vocabulary (default: 0, none).", DefaultValueFactory = _ => 0 };
    public static readonly Option<bool> NoTensorBoard = new("--no-tensorboard") { Description = "Do not write TensorBoard event files (RUN/tensorboard); metrics.jsonl is written either way." };
    public static readonly Option<int> SampleInterval = new("--sample-interval") { Description = "Steps between sample generations in the log (0: none).", DefaultValueFactory = _ => 0 };
    public static readonly Option<double?> PeakGflops = new("--peak-gflops") { Description = "Peak GFLOP/s of this hardware, to report MFU." };
    public static readonly Option<int> LogInterval = new("--log-interval") { Description = "Steps between log lines.", DefaultValueFactory = _ => 10 };
    public static readonly Option<int?> Width = new("--width") { Description = "Embedding width (default: the preset's)." };
    public static readonly Option<int?> Layers = new("--layers") { Description = "Transformer blocks (default: the preset's)." };
    public static readonly Option<int?> Heads = new("--heads") { Description = "Attention heads (default: the preset's)." };
    public static readonly Option<double?> MinLearningRate = new("--min-lr") { Description = "Learning rate at the end of the cosine decay (default: a tenth of --lr)." };
    public static readonly Option<double> WeightDecay = new("--weight-decay") { Description = "AdamW weight decay of matrices (biases, LayerNorms and embeddings get none).", DefaultValueFactory = _ => 0.1 };
    public static readonly Option<double?> Ema = new("--ema") { Description = "Keep an exponential moving average of the weights with this decay (for example 0.999): evaluations score it and the saved model is it (default: none)." };
    public static readonly Option<int?> EvalStride = new("--eval-stride") { Description = "Stride of the evaluation windows (default: the context; smaller gives every token more context)." };

    public static readonly Option<string?> InitFrom = new("--init-from") { Description = "Start from these weights instead of random ones (fine-tuning): a Hugging Face GPT-2 folder, a model file or a checkpoint. The model's shape comes from them; prepare the run with their tokenizer." };

    public static Command Create()
    {
        var command = new Command("train", "Train the model of a prepared run folder; Ctrl+C stops after the current step and saves a checkpoint.")
        {
            Run, Preset, MaxSteps, Epochs, TimeBudget, BatchSize, BatchOrder, Context, LearningRate, Warmup, GradAccum, EvalInterval, Seed, Threads, Resume, Restart, Device, Dropout, SampleInterval, NoTensorBoard, PeakGflops, LogInterval,
            Width, Layers, Heads, MinLearningRate, WeightDecay, Ema, EvalStride, InitFrom, AttentionDropout, EmbeddingDropout, LabelSmoothing,
        };
        command.SetAction((result, cancellationToken) => CliErrors.RunAsync(async () =>
        {
            await TrainAsync(Read(result), cancellationToken).ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    public static TrainSettings Read(ParseResult result) => new()
    {
        Run = result.GetValue(Run)!,
        Preset = CliOptions.ToPreset(result.GetValue(Preset)!),
        MaxSteps = result.GetValue(MaxSteps),
        Epochs = result.GetValue(Epochs),
        TimeBudget = result.GetValue(TimeBudget),
        BatchOrder = CliOptions.ToBatchOrder(result.GetValue(BatchOrder)!),
        BatchSize = result.GetValue(BatchSize),
        Context = result.GetValue(Context),
        LearningRate = result.GetValue(LearningRate),
        Warmup = result.GetValue(Warmup),
        GradAccum = result.GetValue(GradAccum),
        EvalInterval = result.GetValue(EvalInterval),
        Seed = result.GetValue(Seed),
        Threads = result.GetValue(Threads),
        Resume = result.GetValue(Resume),
        Restart = result.GetValue(Restart),
        Device = result.GetValue(Device)!,
        Dropout = result.GetValue(Dropout),
        AttentionDropout = result.GetValue(AttentionDropout),
        EmbeddingDropout = result.GetValue(EmbeddingDropout),
        LabelSmoothing = result.GetValue(LabelSmoothing),
        SampleInterval = result.GetValue(SampleInterval),
        TensorBoard = !result.GetValue(NoTensorBoard),
        PeakGflops = result.GetValue(PeakGflops),
        LogInterval = result.GetValue(LogInterval),
        Width = result.GetValue(Width),
        Layers = result.GetValue(Layers),
        Heads = result.GetValue(Heads),
        MinLearningRate = result.GetValue(MinLearningRate),
        WeightDecay = result.GetValue(WeightDecay),
        WeightAverageDecay = result.GetValue(Ema),
        EvalStride = result.GetValue(EvalStride),
        InitFrom = result.GetValue(InitFrom),
        ModelFlagsGiven = new Option[] { Preset, Context, Dropout, AttentionDropout, EmbeddingDropout, Width, Layers, Heads }.Where(o => result.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList(),
    };

    /// <summary>
    /// Trains as one rank of the job this process belongs to (alone without mpirun). Everything is
    /// checked before the run folder is written to, so a refused command leaves it as it was.
    /// </summary>
    public static async Task<TrainingResult> TrainAsync(TrainSettings settings, CancellationToken cancellationToken)
    {
        using var distributed = new DistributedTrainer();
        var collective = distributed.Collective;
        // Under MPI a failure on one rank must end the whole job, never leave the others waiting.
        return await AbortOnFailure.RunAsync(collective, async () =>
        {
            using var run = RunFolder.Open(settings.Run);
            var options = settings.ToOptions();
            settings.CheckAuto();
            if (settings.Resume && settings.Restart)
            {
                throw new ArgumentException("--resume and --restart contradict each other: continue the earlier training, or replace it.");
            }

            if (settings.Resume && !run.HasCheckpoint)
            {
                throw new FileNotFoundException($"--resume was given but '{run.CheckpointsDirectory}' holds no checkpoint. Train without --resume to start.");
            }

            if (!settings.Resume && !settings.Restart && (run.HasCheckpoint || File.Exists(run.ModelPath)))
            {
                throw new InvalidOperationException($"'{run.Path}' already holds a training. Continue it with --resume, or pass --restart to delete it and train from the start.");
            }

            ILogger logger = collective.IsPrimary ? new ConsoleLogger(LogLevel.Information) : NullLogger.Instance;
            var config = settings.ResolveConfig(run, collective, () => logger.LogInformation("--preset auto: timing training steps of the small preset, then of the seed preset if small fits {Passes} passes in the budget (Ctrl+C stops).", AutoPreset.EpochsWanted), choice =>
            {
                options.TimeBudget = choice.BudgetLeft; // the timing is part of the run
                logger.LogInformation("--preset auto chose {Choice}, in {Seconds:F1} s of the time budget.", choice, choice.Elapsed.TotalSeconds);
            }, cancellationToken);
            using var model = new GptModel(config, settings.Seed);
            var start = settings.Resume ? TrainingStart.Resume : settings.Restart ? TrainingStart.Restart : TrainingStart.New;
            var trainer = distributed.CreateTrainer(run, model, options, start, logger, [new LossChart(run.MetricsPath, run.LossCurvePath)]);
            var result = collective.IsPrimary && CliErrors.Interactive
                ? await TrainWithProgressBarAsync(trainer, cancellationToken).ConfigureAwait(false)
                : await trainer.TrainAsync(null, cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Saved the model to {Model}, the last checkpoint to {Checkpoint} and the loss curve to {Curve}.", run.ModelPath, result.CheckpointPath, run.LossCurvePath);
            BackgroundLineWriter.Instance.Flush(TimeSpan.FromSeconds(5));
            return result;
        }).ConfigureAwait(false);
    }

    private static TimeSpan? Fail(System.CommandLine.Parsing.ArgumentResult result, string error)
    {
        result.AddError(error);
        return null;
    }

    private static async Task<TrainingResult> TrainWithProgressBarAsync(Trainer trainer, CancellationToken cancellationToken)
    {
        TrainingResult? result = null;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("training", maxValue: 1);
                var progress = new SynchronousProgress<TrainingProgress>(p =>
                {
                    task.MaxValue = p.TotalSteps;
                    task.Value = p.Step;
                    task.Description = $"step {p.Step}/{p.TotalSteps} loss {p.Loss:F3} {p.TokensPerSecond:N0} tok/s";
                });
                result = await trainer.TrainAsync(progress, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
        return result!;
    }
}
