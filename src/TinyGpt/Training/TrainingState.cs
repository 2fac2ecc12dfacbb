using TinyGpt.Tokens;

namespace TinyGpt.Training;

/// <summary>What changes while a run trains: everything a checkpoint must hold besides tensors.</summary>
internal sealed class TrainingState
{
    /// <summary>Optimizer steps completed.</summary>
    public int Step { get; set; }

    /// <summary>Training tokens consumed over all ranks.</summary>
    public long TokensSeen { get; set; }

    /// <summary>Lowest validation loss so far.</summary>
    public double? BestValidationLoss { get; set; }

    /// <summary>Loss of the latest evaluation.</summary>
    public double? LastValidationLoss { get; set; }

    /// <summary>Loss of the latest step.</summary>
    public double LastLoss { get; set; } = double.NaN;

    /// <summary>Training seconds of earlier sessions of this run (before a resume).</summary>
    public double EarlierSeconds { get; set; }

    public void RecordEvaluation(double loss)
    {
        LastValidationLoss = loss;
        BestValidationLoss = BestValidationLoss is { } best ? Math.Min(best, loss) : loss;
    }

    public void ContinueFrom(TrainerState saved) =>
        (Step, TokensSeen, BestValidationLoss, EarlierSeconds) = (saved.Step, saved.TokensSeen, saved.BestValidationLoss, saved.ElapsedSeconds);

    /// <summary>The record a checkpoint stores.</summary>
    public TrainerState ToRecord(TrainingPlan plan, TrainingOptions options, BatchPosition data, long optimizerSteps, long? averageUpdates, int worldSize, double? validationLoss, TimeSpan sessionTime) => new()
    {
        Step = Step,
        TotalSteps = plan.TotalSteps,
        WarmupSteps = plan.Schedule.WarmupSteps,
        TokensSeen = TokensSeen,
        DataEpoch = data.Epoch,
        DataStep = data.Step,
        OptimizerSteps = optimizerSteps,
        WeightAverageUpdates = averageUpdates,
        BestValidationLoss = BestValidationLoss,
        ValidationLoss = validationLoss,
        BatchSize = options.BatchSize,
        GradientAccumulationSteps = options.GradientAccumulationSteps,
        WorldSize = worldSize,
        Seed = options.Seed,
        ElapsedSeconds = EarlierSeconds + sessionTime.TotalSeconds,
    };
}
