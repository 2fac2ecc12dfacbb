namespace TinyGpt.Training;

/// <summary>A snapshot of a training run for progress bars and host applications.</summary>
/// <param name="Step">Optimizer steps completed.</param>
/// <param name="TotalSteps">Optimizer steps in the run.</param>
/// <param name="Loss">Training loss of the last step (averaged over ranks).</param>
/// <param name="LearningRate">Learning rate of the last step.</param>
/// <param name="TokensPerSecond">Training throughput over all ranks since the last report.</param>
/// <param name="TokensSeen">Training tokens consumed so far over all ranks.</param>
/// <param name="Elapsed">Wall-clock time of this run (this process, resumed or not).</param>
/// <param name="Eta">Estimated time to the end of the run.</param>
/// <param name="ValidationLoss">Loss of the latest evaluation, if any.</param>
public sealed record TrainingProgress(int Step, int TotalSteps, double Loss, double LearningRate, double TokensPerSecond, long TokensSeen, TimeSpan Elapsed, TimeSpan Eta, double? ValidationLoss);
