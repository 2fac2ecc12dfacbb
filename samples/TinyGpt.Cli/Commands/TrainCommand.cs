using System.CommandLine;
using TinyGpt.Distributed;

namespace TinyGpt.Cli.Commands;

/// <summary><c>tinygpt train</c>: trains (data-parallel when launched by mpirun) with checkpoints and resume.</summary>
internal static class TrainCommand
{
    public static readonly Option<string> Run = new("--run") { Description = "The prepared run folder.", Required = true };
    public static readonly Option<string> Preset = new("--preset") { Description = "Model size: tiny, small or seed.", DefaultValueFactory = _ => "tiny" };
    public static readonly Option<int?> MaxSteps = new("--max-steps") { Description = "Optimizer steps (default: one epoch)." };
    public static readonly Option<int?> Epochs = new("--epochs") { Description = "Epochs when --max-steps is not given." };
    public static readonly Option<int> BatchSize = new("--batch-size") { Description = "Sequences per micro-batch per process.", DefaultValueFactory = _ => 16 };
    public static readonly Option<int?> Context = new("--context") { Description = "Context length (default: the preset's)." };
    public static readonly Option<double> LearningRate = new("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => 1e-3 };
    public static readonly Option<int?> Warmup = new("--warmup") { Description = "Warmup steps (default: 10% of the run, at most 200)." };
    public static readonly Option<int> GradAccum = new("--grad-accum") { Description = "Micro-batches per optimizer step.", DefaultValueFactory = _ => 1 };
    public static readonly Option<int> EvalInterval = new("--eval-interval") { Description = "Steps between evaluations and checkpoints (0: only at the end).", DefaultValueFactory = _ => 200 };
    public static readonly Option<long> Seed = new("--seed") { Description = "Seed of weights, dropout and data order.", DefaultValueFactory = _ => 1337 };
    public static readonly Option<int?> Threads = new("--threads") { Description = "CPU threads (default: all cores)." };
    public static readonly Option<bool> Resume = new("--resume") { Description = "Continue from the run's latest checkpoint." };
    public static readonly Option<string> Device = new("--device") { Description = "cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };
    public static readonly Option<double?> Dropout = new("--dropout") { Description = "Dropout (default: the preset's)." };
    public static readonly Option<int> SampleInterval = new("--sample-interval") { Description = "Steps between sample generations in the log (0: none).", DefaultValueFactory = _ => 0 };
    public static readonly Option<double?> PeakGflops = new("--peak-gflops") { Description = "Peak GFLOP/s of this hardware, to report MFU." };
    public static readonly Option<int> LogInterval = new("--log-interval") { Description = "Steps between log lines.", DefaultValueFactory = _ => 10 };
    public static readonly Option<int?> Width = new("--width") { Description = "Embedding width (default: the preset's)." };
    public static readonly Option<int?> Layers = new("--layers") { Description = "Transformer blocks (default: the preset's)." };
    public static readonly Option<int?> Heads = new("--heads") { Description = "Attention heads (default: the preset's)." };
    public static readonly Option<double?> MinLearningRate = new("--min-lr") { Description = "Learning rate at the end of the cosine decay (default: a tenth of --lr)." };
    public static readonly Option<double> WeightDecay = new("--weight-decay") { Description = "AdamW weight decay of matrices (biases, LayerNorms and embeddings get none).", DefaultValueFactory = _ => 0.1 };
    public static readonly Option<int?> EvalStride = new("--eval-stride") { Description = "Stride of the evaluation windows (default: the context; smaller gives every token more context)." };

    public static Command Create()
    {
        var command = new Command("train", "Train the model of a prepared run folder; Ctrl+C saves a checkpoint.")
        {
            Run, Preset, MaxSteps, Epochs, BatchSize, Context, LearningRate, Warmup, GradAccum, EvalInterval, Seed, Threads, Resume, Device, Dropout, SampleInterval, PeakGflops, LogInterval,
            Width, Layers, Heads, MinLearningRate, WeightDecay, EvalStride,
        };
        command.SetAction((result, cancellationToken) => CliErrors.RunAsync(async () =>
        {
            using var collective = DistributedLaunch.CreateCollective();
            var settings = Read(result, result.GetValue(Run)!);
            if (collective.WorldSize == 1)
            {
                await Workflows.TrainAsync(settings, collective, cancellationToken).ConfigureAwait(false);
                return 0;
            }

            // Under MPI an exception on one rank must end the whole job, never leave the others
            // waiting. A stop (Ctrl+C) reaches every rank at the same step, so it ends cleanly.
            return await AbortOnFailure.RunAsync(collective, async () =>
            {
                try
                {
                    await Workflows.TrainAsync(settings, collective, cancellationToken).ConfigureAwait(false);
                    return 0;
                }
                catch (OperationCanceledException)
                {
                    return CliErrors.Cancelled;
                }
            }).ConfigureAwait(false);
        }));
        return command;
    }

    public static TrainSettings Read(ParseResult result, string run) => new()
    {
        Run = run,
        Preset = result.GetValue(Preset) ?? "tiny",
        MaxSteps = result.GetValue(MaxSteps),
        Epochs = result.GetValue(Epochs),
        BatchSize = result.GetValue(BatchSize),
        Context = result.GetValue(Context),
        LearningRate = result.GetValue(LearningRate),
        Warmup = result.GetValue(Warmup),
        GradAccum = result.GetValue(GradAccum),
        EvalInterval = result.GetValue(EvalInterval),
        Seed = result.GetValue(Seed),
        Threads = result.GetValue(Threads),
        Resume = result.GetValue(Resume),
        Device = result.GetValue(Device) ?? "cpu",
        Dropout = result.GetValue(Dropout),
        SampleInterval = result.GetValue(SampleInterval),
        PeakGflops = result.GetValue(PeakGflops),
        LogInterval = result.GetValue(LogInterval),
        Width = result.GetValue(Width),
        Layers = result.GetValue(Layers),
        Heads = result.GetValue(Heads),
        MinLearningRate = result.GetValue(MinLearningRate),
        WeightDecay = result.GetValue(WeightDecay),
        EvalStride = result.GetValue(EvalStride),
    };
}
