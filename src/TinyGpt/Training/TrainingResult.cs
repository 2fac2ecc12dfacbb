namespace TinyGpt.Training;

/// <summary>What a finished training run achieved.</summary>
/// <param name="Steps">Optimizer steps completed, counting steps before a resume.</param>
/// <param name="TokensSeen">Training tokens consumed over all ranks.</param>
/// <param name="FinalLoss">Training loss of the last step.</param>
/// <param name="Validation">Evaluation of the whole validation split at the end, if there is one.</param>
/// <param name="Elapsed">Wall-clock time of this process's part of the run.</param>
/// <param name="ModelPath">The final weights (with configuration), when a run folder was given.</param>
/// <param name="LossCurvePath">The loss-curve picture, when a run folder was given.</param>
public sealed record TrainingResult(int Steps, long TokensSeen, double FinalLoss, EvaluationResult? Validation, TimeSpan Elapsed, string? ModelPath, string? LossCurvePath);
