using TinyGpt.Tokens;
using TinyGpt.Validation;

namespace TinyGpt.Training;

/// <summary>
/// How to train. Settable properties so the options bind from configuration
/// (<c>services.Configure&lt;TrainingOptions&gt;(configuration.GetSection("Training"))</c>).
/// </summary>
public sealed class TrainingOptions : IValidatable
{
    /// <summary>Sequences per micro-batch on each process (with MPI, per rank).</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>Tokens per training sequence; null uses the model's context length.</summary>
    public int? ContextLength { get; set; }

    /// <summary>Micro-batches whose gradients are summed into one optimizer step.</summary>
    public int GradientAccumulationSteps { get; set; } = 1;

    /// <summary>Optimizer steps to run; null derives them from <see cref="Epochs"/>.</summary>
    public int? MaxSteps { get; set; }

    /// <summary>Passes over the training windows when <see cref="MaxSteps"/> is null (default 1).</summary>
    public int? Epochs { get; set; }

    /// <summary>
    /// Wall-clock time the whole run may take (its steps, periodic evaluations, checkpoints and the
    /// final evaluation); null trains <see cref="MaxSteps"/> or <see cref="Epochs"/>. The trainer
    /// measures its speed on the first steps, sets the step count so that warmup and cosine decay
    /// end within the budget, and re-plans when the measured speed drifts. The chosen step count is
    /// logged and kept in checkpoints (a resumed run keeps the schedule); <see cref="MaxSteps"/>
    /// with that count and the logged warmup replays it. Not with <see cref="MaxSteps"/> or <see cref="Epochs"/>.
    /// </summary>
    public TimeSpan? TimeBudget { get; set; }

    /// <summary>Peak learning rate, reached at the end of warmup.</summary>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>Learning rate of the last step; null means a tenth of <see cref="LearningRate"/>.</summary>
    public double? MinLearningRate { get; set; }

    /// <summary>Optimizer steps of linear warmup; null means 10% of the run, at most 200.</summary>
    public int? WarmupSteps { get; set; }

    /// <summary>Decoupled weight decay of weight matrices (not of biases, LayerNorms and embeddings).</summary>
    public double WeightDecay { get; set; } = 0.1;

    /// <summary>AdamW's first-moment decay.</summary>
    public double Beta1 { get; set; } = 0.9;

    /// <summary>AdamW's second-moment decay.</summary>
    public double Beta2 { get; set; } = 0.95;

    /// <summary>Largest gradient norm before clipping; 0 turns clipping off.</summary>
    public double GradientClip { get; set; } = 1.0;

    /// <summary>The order training windows are drawn in.</summary>
    public BatchOrder BatchOrder { get; set; } = BatchOrder.ShuffledEpochs;

    /// <summary>Seed of dropout and of the data order.</summary>
    public long Seed { get; set; } = 1337;

    /// <summary>Threads for CPU math; null leaves TorchSharp's default (all cores).</summary>
    public int? Threads { get; set; }

    /// <summary>Device: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>Optimizer steps between evaluations on the validation split; 0 evaluates only at the end.</summary>
    public int EvalInterval { get; set; } = 200;

    /// <summary>Evaluation batches per periodic evaluation; null scores the whole split. The final evaluation always scores the whole split.</summary>
    public int? EvalBatches { get; set; } = 20;

    /// <summary>Stride of evaluation windows; null means the context length (non-overlapping windows).</summary>
    public int? EvalStride { get; set; }

    /// <summary>Optimizer steps between checkpoints; null checkpoints at every evaluation; 0 only at the end.</summary>
    public int? CheckpointInterval { get; set; }

    /// <summary>Most recent checkpoints to keep (the best one is kept as well).</summary>
    public int KeepCheckpoints { get; set; } = 2;

    /// <summary>
    /// Whether a run folder's trainer also writes TensorBoard event files (<c>RUN/tensorboard</c>,
    /// <see cref="TensorBoardFile"/>); on by default. The metrics file is written either way.
    /// </summary>
    public bool TensorBoard { get; set; } = true;

    /// <summary>Optimizer steps between log lines, progress reports and metrics records.</summary>
    public int LogInterval { get; set; } = 10;

    /// <summary>Optimizer steps between sample generations in the log (written by <see cref="Trainer.Sampler"/>); 0 turns them off.</summary>
    public int SampleInterval { get; set; }

    /// <summary>Prompt of the periodic samples; empty starts a new document.</summary>
    public string SamplePrompt { get; set; } = string.Empty;

    /// <summary>Tokens per periodic sample.</summary>
    public int SampleTokens { get; set; } = 40;

    /// <summary>Peak FLOP/s of the hardware, for model FLOPs utilisation (MFU); null leaves MFU out.</summary>
    public double? PeakFlops { get; set; }

    /// <summary>
    /// Decay of an exponential moving average of the weights (for example 0.999), or null for none.
    /// With an average, evaluations score it and the final model is it, while training goes on with
    /// the raw weights; checkpoints hold both, so a resumed run continues the average exactly.
    /// </summary>
    public double? WeightAverageDecay { get; set; }

    /// <summary>
    /// Label smoothing of the training loss, in [0, 1): the target distribution gives each token id
    /// this share divided by the vocabulary size and the true token the rest (Szegedy et al. 2016).
    /// 0, the default, trains on plain cross-entropy. The logged training loss is the smoothed one;
    /// evaluations always score plain cross-entropy.
    /// </summary>
    public double LabelSmoothing { get; set; }

    /// <summary>
    /// Weights to start from instead of a random initialisation (fine-tuning): a Hugging Face GPT-2
    /// folder, a TinyGpt model file or a checkpoint, of the same shape as the model being trained.
    /// Ignored when training resumes from a checkpoint, which already holds the fine-tuned weights.
    /// Needs <see cref="Trainer.InitialWeights"/> (set by <c>RunFolder.CreateTrainer</c>).
    /// </summary>
    public string? InitFrom { get; set; }

    /// <inheritdoc />
    public IReadOnlyList<string> Validate() => new Problems()
        .Require(BatchSize >= 1, $"{nameof(BatchSize)} must be at least 1 (got {BatchSize}).")
        .Require(ContextLength is null or >= 1, $"{nameof(ContextLength)} must be at least 1 (got {ContextLength}).")
        .Require(GradientAccumulationSteps >= 1, $"{nameof(GradientAccumulationSteps)} must be at least 1 (got {GradientAccumulationSteps}).")
        .Require(MaxSteps is null or >= 1, $"{nameof(MaxSteps)} must be at least 1 (got {MaxSteps}).")
        .Require(Epochs is null or >= 1, $"{nameof(Epochs)} must be at least 1 (got {Epochs}).")
        .Require(TimeBudget is null || TimeBudget > TimeSpan.Zero, $"{nameof(TimeBudget)} must be positive (got {TimeBudget}).")
        .Require(TimeBudget is null || (MaxSteps is null && Epochs is null), $"{nameof(TimeBudget)} sets the step count itself: leave out {nameof(MaxSteps)} and {nameof(Epochs)}, or the time budget.")
        .Require(LearningRate > 0 && double.IsFinite(LearningRate), $"{nameof(LearningRate)} must be a positive number (got {LearningRate}).")
        .Require(MinLearningRate is null || (MinLearningRate >= 0 && MinLearningRate <= LearningRate), $"{nameof(MinLearningRate)} must be in [0, {nameof(LearningRate)}] (got {MinLearningRate}).")
        .Require(WarmupSteps is null or >= 0, $"{nameof(WarmupSteps)} must be at least 0 (got {WarmupSteps}).")
        .Require(WeightDecay >= 0 && double.IsFinite(WeightDecay), $"{nameof(WeightDecay)} must be a number >= 0 (got {WeightDecay}).")
        .Require(Beta1 is >= 0 and < 1, $"{nameof(Beta1)} must be in [0, 1) (got {Beta1}).")
        .Require(Beta2 is >= 0 and < 1, $"{nameof(Beta2)} must be in [0, 1) (got {Beta2}).")
        .Require(GradientClip >= 0 && !double.IsNaN(GradientClip), $"{nameof(GradientClip)} must be at least 0 (got {GradientClip}); use 0 to turn clipping off.")
        .Require(Threads is null or >= 1, $"{nameof(Threads)} must be at least 1 (got {Threads}).")
        .Require(EvalInterval >= 0, $"{nameof(EvalInterval)} must be at least 0 (got {EvalInterval}).")
        .Require(EvalBatches is null or >= 1, $"{nameof(EvalBatches)} must be at least 1 (got {EvalBatches}); use null for the whole split.")
        .Require(EvalStride is null or >= 1, $"{nameof(EvalStride)} must be at least 1 (got {EvalStride}).")
        .Require(CheckpointInterval is null or >= 0, $"{nameof(CheckpointInterval)} must be at least 0 (got {CheckpointInterval}).")
        .Require(KeepCheckpoints >= 1, $"{nameof(KeepCheckpoints)} must be at least 1 (got {KeepCheckpoints}).")
        .Require(LogInterval >= 1, $"{nameof(LogInterval)} must be at least 1 (got {LogInterval}).")
        .Require(SampleInterval >= 0, $"{nameof(SampleInterval)} must be at least 0 (got {SampleInterval}).")
        .Require(SampleTokens >= 1, $"{nameof(SampleTokens)} must be at least 1 (got {SampleTokens}).")
        .Require(WeightAverageDecay is null or (> 0 and < 1), $"{nameof(WeightAverageDecay)} must be in (0, 1), for example 0.999 (got {WeightAverageDecay}); use null for no average.")
        .Require(LabelSmoothing is >= 0 and < 1, $"{nameof(LabelSmoothing)} must be in [0, 1), for example 0.1 (got {LabelSmoothing}); use 0 for none.")
        .Require(PeakFlops is null or > 0, $"{nameof(PeakFlops)} must be positive (got {PeakFlops}).")
        .Require(!string.IsNullOrWhiteSpace(Device), $"{nameof(Device)} must name a device such as cpu or cuda.")
        .Require(InitFrom is null || !string.IsNullOrWhiteSpace(InitFrom), $"{nameof(InitFrom)} must name a model folder or file, or be null to start from random weights.")
        .ToList();

    /// <summary>A copy that can be changed without touching this instance.</summary>
    public TrainingOptions Clone() => (TrainingOptions)MemberwiseClone();
}
