namespace TinyGpt.Training;

/// <summary>An evaluation of the validation split during or at the end of training.</summary>
/// <param name="Step">Optimizer steps completed when it ran.</param>
/// <param name="TokensSeen">Training tokens consumed by then, over all ranks.</param>
/// <param name="Result">Loss and perplexities.</param>
/// <param name="Partial">True for the periodic estimates over <see cref="TrainingOptions.EvalBatches"/> batches; false for a whole split.</param>
public sealed record EvaluationReport(int Step, long TokensSeen, EvaluationResult Result, bool Partial);
