namespace TinyGpt.Training;

/// <summary>
/// Training stopped early because its cancellation token was cancelled (Ctrl+C, SIGTERM, a host
/// shutting down): the last completed step was saved as a checkpoint when the run has a folder, so
/// resuming continues exactly from there.
/// </summary>
public sealed class TrainingStoppedException : OperationCanceledException
{
    /// <summary>Creates the exception for a stop after <paramref name="step"/> optimizer steps.</summary>
    /// <param name="step">The step training stopped after.</param>
    /// <param name="checkpointPath">The checkpoint written, on the rank that writes files.</param>
    /// <param name="checkpointSaved">Whether a checkpoint of the step was written (by this rank or by rank 0).</param>
    /// <param name="cancellationToken">The token that stopped it.</param>
    public TrainingStoppedException(int step, string? checkpointPath, bool checkpointSaved, CancellationToken cancellationToken)
        : base(!checkpointSaved
            ? $"Training stopped after step {step}; no checkpoint was written."
            : checkpointPath is null
                ? $"Training stopped after step {step}; rank 0 saved the checkpoint of it."
                : $"Training stopped after step {step}; the checkpoint '{checkpointPath}' holds it.", cancellationToken)
    {
        Step = step;
        CheckpointPath = checkpointPath;
        CheckpointSaved = checkpointSaved;
    }

    /// <summary>Creates the exception.</summary>
    public TrainingStoppedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TrainingStoppedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    public TrainingStoppedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Optimizer steps completed when training stopped.</summary>
    public int Step { get; }

    /// <summary>The checkpoint written when training stopped, on the rank that writes files (rank 0); null elsewhere, or when none was.</summary>
    public string? CheckpointPath { get; }

    /// <summary>Whether a checkpoint of <see cref="Step"/> was written, by this rank or by rank 0.</summary>
    public bool CheckpointSaved { get; }
}
