namespace TinyGpt.Training;

/// <summary>Where a run stands, as saved in a checkpoint: enough to continue exactly where it stopped.</summary>
public sealed record TrainerState
{
    /// <summary>Optimizer steps completed (the schedule's position).</summary>
    public int Step { get; init; }

    /// <summary>Optimizer steps of the whole run (the schedule's length).</summary>
    public int TotalSteps { get; init; }

    /// <summary>Warmup steps of the schedule.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>Training tokens consumed over all ranks.</summary>
    public long TokensSeen { get; init; }

    /// <summary>Epoch of the next training batch.</summary>
    public int DataEpoch { get; init; }

    /// <summary>Step within the epoch of the next training batch (in micro-batches).</summary>
    public long DataStep { get; init; }

    /// <summary>AdamW's update count, for bias correction.</summary>
    public long OptimizerSteps { get; init; }

    /// <summary>Best validation loss so far, if any evaluation ran.</summary>
    public double? BestValidationLoss { get; init; }

    /// <summary>Validation loss at this checkpoint, if it was evaluated.</summary>
    public double? ValidationLoss { get; init; }

    /// <summary>Per-rank batch size the run used.</summary>
    public int BatchSize { get; init; }

    /// <summary>Gradient accumulation the run used.</summary>
    public int GradientAccumulationSteps { get; init; }

    /// <summary>Number of ranks the run used.</summary>
    public int WorldSize { get; init; } = 1;

    /// <summary>Seed of the run.</summary>
    public long Seed { get; init; }

    /// <summary>Training seconds before this checkpoint, over all resumes.</summary>
    public double ElapsedSeconds { get; init; }

    /// <summary>Updates folded into the checkpoint's weight average (<see cref="TrainingOptions.WeightAverageDecay"/>); null when the run kept none.</summary>
    public long? WeightAverageUpdates { get; init; }
}
