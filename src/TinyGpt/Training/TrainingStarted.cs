using TinyGpt.Modeling;

namespace TinyGpt.Training;

/// <summary>What a training run is about to do.</summary>
/// <param name="StartStep">The step it starts from: 0, or the step of the checkpoint it resumed.</param>
/// <param name="TotalSteps">Optimizer steps of the whole run.</param>
/// <param name="Parameters">The model's parameter counts.</param>
/// <param name="GlobalBatchSize">Sequences per optimizer step over all ranks and micro-batches.</param>
/// <param name="TokensPerStep">Training tokens per optimizer step over all ranks.</param>
/// <param name="ResumedFrom">The checkpoint it resumed from, or null for a fresh start.</param>
public sealed record TrainingStarted(int StartStep, int TotalSteps, GptParameterCount Parameters, int GlobalBatchSize, long TokensPerStep, string? ResumedFrom);
