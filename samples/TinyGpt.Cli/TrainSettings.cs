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

    /// <summary>The model size; null lets <see cref="AutoPreset"/> choose one for <see cref="TimeBudget"/>.</summary>
    public GptPreset? Preset { get; init; } = GptPreset.Tiny;

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

    public double? AttentionDropout { get; init; }

    public double? EmbeddingDropout { get; init; }

    public double LabelSmoothing { get; init; }

    public int SampleInterval { get; init; }

    public bool TensorBoard { get; init; } = true;

    public double? PeakGflops { get; init; }

    public int LogInterval { get; init; } = 10;

    public int? Width { get; init; }

    public int? Layers { get; init; }

    public int? Heads { get; init; }

    public double? MinLearningRate { get; init; }

    public double WeightDecay { get; init; } = 0.1;

    public double? WeightAverageDecay { get; init; }

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
        WeightAverageDecay = WeightAverageDecay,
        LabelSmoothing = LabelSmoothing,
        EvalStride = EvalStride,
        InitFrom = InitFrom is null ? null : Path.GetFullPath(InitFrom),
        // The weights fix the model's positions; --context then trains on shorter windows.
        ContextLength = InitFrom is null ? null : Context,
    }.EnsureValid();

    /// <summary>
    /// The model to train: a resumed run's own configuration (its <c>config.json</c>), or the preset
    /// with the overrides given, sized to the run's tokenizer. Validated. With <c>--preset auto</c>
    /// the preset is chosen by timing training steps on this machine (<see cref="AutoPreset"/>):
    /// <paramref name="timing"/> hears that it starts, <paramref name="chosen"/> the choice.
    /// </summary>
    /// <exception cref="ArgumentException">The shape is invalid, or a resumed run was given model options that contradict it, or auto was asked for without a time budget.</exception>
    public GptConfig ResolveConfig(RunFolder run, ICollective? collective = null, Action? timing = null, Action<AutoPresetChoice>? chosen = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (InitFrom is not null && !(Resume && run.ReadConfig() is not null))
        {
            var shapeFlags = ModelFlagsGiven.Where(f => f is not ("--dropout" or "--attention-dropout" or "--embedding-dropout" or "--context")).ToList();
            if (shapeFlags.Count > 0)
            {
                throw new ArgumentException($"--init-from takes the model's shape from '{InitFrom}'; {string.Join(" and ", shapeFlags)} would change it. Leave them out (--context may shorten the training windows, the dropout options may change the dropout).");
            }

            var pretrained = ModelLoader.ReadConfig(InitFrom);
            return (pretrained with
            {
                Dropout = Dropout ?? pretrained.Dropout,
                AttentionDropout = AttentionDropout ?? pretrained.AttentionDropout,
                EmbeddingDropout = EmbeddingDropout ?? pretrained.EmbeddingDropout,
            }).EnsureValid();
        }

        var saved = Resume ? run.ReadConfig() : null;
        if (Preset is not { } preset)
        {
            CheckAuto();
            if (saved is not null)
            {
                return saved.EnsureValid(); // the resumed run keeps the model auto chose when it started
            }

            var splitTokens = run.GetSplit(run.Manifest.TrainSplit).Tokens;
            timing?.Invoke();
            var choice = AutoPreset.Choose(p => Shape(p, run), splitTokens, ToOptions(), collective, cancellationToken);
            chosen?.Invoke(choice);
            return choice.Config.EnsureValid();
        }

        var requested = Shape(preset, run) with
        {
            EmbeddingSize = Width ?? GptConfig.FromPreset(preset).EmbeddingSize,
            LayerCount = Layers ?? GptConfig.FromPreset(preset).LayerCount,
            HeadCount = Heads ?? GptConfig.FromPreset(preset).HeadCount,
        };
        if (saved is not null)
        {
            if (ModelFlagsGiven.Count > 0 && saved != requested)
            {
                throw new ArgumentException($"--resume continues the run's own model ({Describe(saved)}, from its config.json); {string.Join(" and ", ModelFlagsGiven)} would change it. Leave out the model options to resume, or train a new run folder.");
            }

            return saved.EnsureValid();
        }

        return requested.EnsureValid();
    }

    /// <summary>Refuses <c>--preset auto</c> combinations that cannot work, before anything is measured or written.</summary>
    /// <exception cref="ArgumentException">No time budget, or a shape option that would contradict the choice.</exception>
    public void CheckAuto()
    {
        if (Preset is not null)
        {
            return;
        }

        if (TimeBudget is null)
        {
            throw new ArgumentException("--preset auto chooses the model for a time budget: add --time-budget (for example 20m), or name a preset (tiny, small, seed).");
        }

        var shapeFlags = ModelFlagsGiven.Where(f => f is "--width" or "--layers" or "--heads").ToList();
        if (shapeFlags.Count > 0)
        {
            throw new ArgumentException($"--preset auto chooses the width, layers and heads itself; leave out {string.Join(" and ", shapeFlags)}, or name a preset to change.");
        }

        if (InitFrom is not null)
        {
            throw new ArgumentException("--init-from takes the model's shape from its weights; leave out --preset auto.");
        }
    }

    /// <summary>A preset's shape with the run's vocabulary and the context and dropouts given.</summary>
    private GptConfig Shape(GptPreset preset, RunFolder run) => GptConfig.FromPreset(preset) with
    {
        VocabSize = run.Tokenizer.VocabSize,
        ContextLength = Context ?? GptConfig.FromPreset(preset).ContextLength,
        Dropout = Dropout ?? GptConfig.FromPreset(preset).Dropout,
        AttentionDropout = AttentionDropout ?? GptConfig.FromPreset(preset).AttentionDropout,
        EmbeddingDropout = EmbeddingDropout ?? GptConfig.FromPreset(preset).EmbeddingDropout,
    };

    private static string Describe(GptConfig c) =>
        $"width {c.EmbeddingSize}, {c.LayerCount} layers, {c.HeadCount} heads, context {c.ContextLength}, dropout {c.Dropout}{(c.AttentionDropout is { } a ? $", attention dropout {a}" : "")}{(c.EmbeddingDropout is { } e ? $", embedding dropout {e}" : "")}";
}
