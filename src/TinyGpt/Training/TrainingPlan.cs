using TinyGpt.Tokens;

namespace TinyGpt.Training;

/// <summary>
/// The shape of a run: how many steps, the schedule, and how many tokens each step takes. Fixed
/// before the first step, except that a time-budgeted run (<see cref="TrainingOptions.TimeBudget"/>)
/// may change its step count when its measured speed drifts.
/// </summary>
/// <param name="TotalSteps">Optimizer steps of the whole run.</param>
/// <param name="Schedule">The learning rate of every step.</param>
/// <param name="GlobalBatchSize">Sequences per optimizer step, over all ranks and micro-batches.</param>
/// <param name="TokensPerStep">Training tokens per optimizer step over all ranks.</param>
internal sealed record TrainingPlan(int TotalSteps, LearningRateSchedule Schedule, int GlobalBatchSize, long TokensPerStep)
{
    /// <summary>The plan the options ask for: <see cref="TrainingOptions.MaxSteps"/>, or steps from <see cref="TrainingOptions.Epochs"/>.</summary>
    public static TrainingPlan For(TrainingOptions options, TokenBatchSource batches, int contextLength)
    {
        var totalSteps = options.MaxSteps ?? (int)Math.Max(1, (options.Epochs ?? 1) * (batches.StepsPerEpoch / options.GradientAccumulationSteps));
        return For(options, batches, contextLength, totalSteps, DefaultWarmup(options, totalSteps));
    }

    /// <summary>A plan of <paramref name="totalSteps"/> steps with <paramref name="warmupSteps"/> of warmup (clamped below the total).</summary>
    public static TrainingPlan For(TrainingOptions options, TokenBatchSource batches, int contextLength, int totalSteps, int warmupSteps)
    {
        var schedule = new LearningRateSchedule(options.LearningRate, options.MinLearningRate ?? options.LearningRate / 10, Math.Min(warmupSteps, totalSteps - 1), totalSteps);
        var globalBatch = batches.GlobalBatchSize * options.GradientAccumulationSteps;
        return new TrainingPlan(totalSteps, schedule, globalBatch, (long)globalBatch * contextLength);
    }

    /// <summary>The warmup of a run of <paramref name="totalSteps"/>: the options' own, or 10% of the run, at most 200 steps.</summary>
    public static int DefaultWarmup(TrainingOptions options, int totalSteps) => Math.Min(options.WarmupSteps ?? Math.Min(200, totalSteps / 10), totalSteps - 1);

    /// <summary>The same run with <paramref name="totalSteps"/> steps and the same warmup.</summary>
    public TrainingPlan WithTotalSteps(int totalSteps) =>
        this with { TotalSteps = totalSteps, Schedule = new LearningRateSchedule(Schedule.Peak, Schedule.Minimum, Schedule.WarmupSteps, totalSteps) };
}
