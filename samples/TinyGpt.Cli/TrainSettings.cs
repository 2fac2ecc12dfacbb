using TinyGpt.Interchange;
using TinyGpt.Modeling;
using TinyGpt.Runs;
using TinyGpt.Tokens;
using TinyGpt.Training;
using TinyGpt.Validation;

namespace TinyGpt.Cli;

/// <summary>What <c>tinygpt train</c> was asked to do: the model's shape and how to train it.</summary>
internal sealed record TrainSettings
{
    public required string Run { get; init; }

    public GptPreset Preset { get; init; } = GptPreset.Tiny;

    public int? MaxSteps { get; init; }

    public int? Epochs { get; init; }

    public TimeSpan? TimeBudget { get; init; }

    public BatchOrder BatchOrder { get; init; } = BatchOrder.ShuffledEpochs;

    public int BatchSize { get; init; } = 16;

    public int? Context { get; init; }

    public double LearningRate { get; init; } = 1e-3;

    public int? Warmup { get; init; }

    public int GradAccum { get; init; } = 1;

    public int EvalInterval { get; init; } = 200;

    public long Seed { get; init; } = 1337;

    public int? Threads { get; init; }

    public bool Resume { get; init; }

    public bool Restart { get; init; }

    public string Device { get; init; } = "cpu";

    public double? Dropout { get; init; }

    public int SampleInterval { get; init; }

    public bool TensorBoard { get; init; } = true;

    public double? PeakGflops { get; init; }

    public int LogInterval { get; init; } = 10;

    public int? Width { get; init; }

    public int? Layers { get; init; }

    public int? Heads { get; init; }

    public double? MinLearningRate { get; init; }

    public double WeightDecay { get; init; } = 0.1;

    public int? EvalStride { get; init; }

    public string? InitFrom { get; init; }

    /// <summary>The model options given on the command line (a resumed run must not contradict its config.json).</summary>
    public IReadOnlyList<string> ModelFlagsGiven { get; init; } = [];

    /// <summary>The training options, validated.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names the setting.</exception>
    public TrainingOptions ToOptions() => new TrainingOptions
    {
        BatchSize = BatchSize,
        MaxSteps = MaxSteps,
        Epochs = Epochs,
        TimeBudget = TimeBudget,
        BatchOrder = BatchOrder,
        LearningRate = LearningRate,
        WarmupSteps = Warmup,
        GradientAccumulationSteps = GradAccum,
        EvalInterval = EvalInterval,
        Seed = Seed,
        Threads = Threads,
        Device = Device,
        SampleInterval = SampleInterval,
        TensorBoard = TensorBoard,
        PeakFlops = PeakGflops * 1e9,
        LogInterval = LogInterval,
        MinLearningRate = MinLearningRate,
        WeightDecay = WeightDecay,
        EvalStride = EvalStride,
        InitFrom = InitFrom is null ? null : Path.GetFullPath(InitFrom),
        // The weights fix the model's positions; --context then trains on shorter windows.
        ContextLength = InitFrom is null ? null : Context,
    }.EnsureValid();

    /// <summary>
    /// The model to train: a resumed run's own configuration (its <c>config.json</c>), or the preset
    /// with the overrides given, sized to the run's tokenizer. Validated.
    /// </summary>
    /// <exception cref="ArgumentException">The shape is invalid, or a resumed run was given model options that contradict it.</exception>
    public GptConfig ResolveConfig(RunFolder run)
    {
        if (InitFrom is not null && !(Resume && run.ReadConfig() is not null))
        {
            var shapeFlags = ModelFlagsGiven.Where(f => f is not "--dropout" and not "--context").ToList();
            if (shapeFlags.Count > 0)
            {
                throw new ArgumentException($"--init-from takes the model's shape from '{InitFrom}'; {string.Join(" and ", shapeFlags)} would change it. Leave them out (--context may shorten the training windows, --dropout may change the dropout).");
            }

            var pretrained = ModelLoader.ReadConfig(InitFrom);
            return (pretrained with { Dropout = Dropout ?? pretrained.Dropout }).EnsureValid();
        }

        var requested = (GptConfig.FromPreset(Preset) with { VocabSize = run.Tokenizer.VocabSize }) with
        {
            ContextLength = Context ?? GptConfig.FromPreset(Preset).ContextLength,
            Dropout = Dropout ?? GptConfig.FromPreset(Preset).Dropout,
            EmbeddingSize = Width ?? GptConfig.FromPreset(Preset).EmbeddingSize,
            LayerCount = Layers ?? GptConfig.FromPreset(Preset).LayerCount,
            HeadCount = Heads ?? GptConfig.FromPreset(Preset).HeadCount,
        };
        if (Resume && run.ReadConfig() is { } saved)
        {
            if (ModelFlagsGiven.Count > 0 && saved != requested)
            {
                throw new ArgumentException($"--resume continues the run's own model ({Describe(saved)}, from its config.json); {string.Join(" and ", ModelFlagsGiven)} would change it. Leave out the model options to resume, or train a new run folder.");
            }

            return saved.EnsureValid();
        }

        return requested.EnsureValid();
    }

    private static string Describe(GptConfig c) =>
        $"width {c.EmbeddingSize}, {c.LayerCount} layers, {c.HeadCount} heads, context {c.ContextLength}, dropout {c.Dropout}";
}
