namespace TinyGpt.Training;

/// <summary>What a finished training run achieved.</summary>
/// <param name="Steps">Optimizer steps completed, counting steps before a resume.</param>
/// <param name="TokensSeen">Training tokens consumed over all ranks.</param>
/// <param name="FinalLoss">Training loss of the last step.</param>
/// <param name="Validation">Evaluation of the whole validation split at the end, if there is one.</param>
/// <param name="Elapsed">Wall-clock time of this process's part of the run.</param>
/// <param name="CheckpointPath">The last checkpoint written (on the rank that writes files), or null without <see cref="Trainer.Checkpoints"/>.</param>
public sealed record TrainingResult(int Steps, long TokensSeen, double FinalLoss, EvaluationResult? Validation, TimeSpan Elapsed, string? CheckpointPath);
