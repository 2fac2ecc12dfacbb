namespace TinyGpt.Training;

/// <summary>Where a training run stands after a logged step, for progress bars, logs and observers.</summary>
/// <param name="Step">Optimizer steps completed.</param>
/// <param name="TotalSteps">Optimizer steps in the run.</param>
/// <param name="Loss">Training loss of the last step (averaged over ranks).</param>
/// <param name="LearningRate">Learning rate of the last step.</param>
/// <param name="TokensPerSecond">Training throughput over all ranks since the last report (evaluations, checkpoints and samples left out).</param>
/// <param name="TokensSeen">Training tokens consumed so far over all ranks.</param>
/// <param name="Elapsed">Wall-clock time of this process's part of the run.</param>
/// <param name="Eta">Estimated time to the end of the run.</param>
/// <param name="ValidationLoss">Loss of the latest evaluation, if any.</param>
public sealed record TrainingProgress(int Step, int TotalSteps, double Loss, double LearningRate, double TokensPerSecond, long TokensSeen, TimeSpan Elapsed, TimeSpan Eta, double? ValidationLoss)
{
    /// <summary>Norm of the gradient before clipping.</summary>
    public double GradientNorm { get; init; }

    /// <summary>Model FLOPs utilisation over the same window as <see cref="TokensPerSecond"/>, when <see cref="TrainingOptions.PeakFlops"/> is set.</summary>
    public double? Mfu { get; init; }

    /// <summary>Training seconds over all sessions of the run (resumes included).</summary>
    public double RunSeconds { get; init; }
}
