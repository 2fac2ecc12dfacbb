using TinyGpt.Tokens;

namespace TinyGpt.Training;

/// <summary>The shape of a run, fixed before the first step: how many steps, the schedule, and how many tokens each step takes.</summary>
/// <param name="TotalSteps">Optimizer steps of the whole run.</param>
/// <param name="Schedule">The learning rate of every step.</param>
/// <param name="GlobalBatchSize">Sequences per optimizer step, over all ranks and micro-batches.</param>
/// <param name="TokensPerStep">Training tokens per optimizer step over all ranks.</param>
internal sealed record TrainingPlan(int TotalSteps, LearningRateSchedule Schedule, int GlobalBatchSize, long TokensPerStep)
{
    public static TrainingPlan For(TrainingOptions options, TokenBatchSource batches, int contextLength)
    {
        var accumulation = options.GradientAccumulationSteps;
        var totalSteps = options.MaxSteps ?? (int)Math.Max(1, (options.Epochs ?? 1) * (batches.StepsPerEpoch / accumulation));
        var warmup = Math.Min(options.WarmupSteps ?? Math.Min(200, totalSteps / 10), totalSteps - 1);
        var schedule = new LearningRateSchedule(options.LearningRate, options.MinLearningRate ?? options.LearningRate / 10, warmup, totalSteps);
        var globalBatch = batches.GlobalBatchSize * accumulation;
        return new TrainingPlan(totalSteps, schedule, globalBatch, (long)globalBatch * contextLength);
    }
}
