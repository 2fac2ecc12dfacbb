using TinyGpt.Training;

namespace TinyGpt.Cli;

/// <summary>The train command's options.</summary>
internal sealed record TrainSettings
{
    public required string Run { get; init; }

    public string Preset { get; init; } = "tiny";

    public int? MaxSteps { get; init; }

    public int? Epochs { get; init; }

    public int BatchSize { get; init; } = 16;

    public int? Context { get; init; }

    public double LearningRate { get; init; } = 1e-3;

    public int? Warmup { get; init; }

    public int GradAccum { get; init; } = 1;

    public int EvalInterval { get; init; } = 200;

    public long Seed { get; init; } = 1337;

    public int? Threads { get; init; }

    public bool Resume { get; init; }

    public string Device { get; init; } = "cpu";

    public double? Dropout { get; init; }

    public int SampleInterval { get; init; }

    public double? PeakGflops { get; init; }

    public int LogInterval { get; init; } = 10;

    public int? Width { get; init; }

    public int? Layers { get; init; }

    public int? Heads { get; init; }

    public double? MinLearningRate { get; init; }

    public double WeightDecay { get; init; } = 0.1;

    public int? EvalStride { get; init; }

    public TrainingOptions ToOptions() => new TrainingOptions
    {
        BatchSize = BatchSize,
        MaxSteps = MaxSteps,
        Epochs = Epochs,
        LearningRate = LearningRate,
        WarmupSteps = Warmup,
        GradientAccumulationSteps = GradAccum,
        EvalInterval = EvalInterval,
        Seed = Seed,
        Threads = Threads,
        Device = Device,
        SampleInterval = SampleInterval,
        PeakFlops = PeakGflops * 1e9,
        LogInterval = LogInterval,
        MinLearningRate = MinLearningRate,
        WeightDecay = WeightDecay,
        EvalStride = EvalStride,
    }.EnsureValid();
}
