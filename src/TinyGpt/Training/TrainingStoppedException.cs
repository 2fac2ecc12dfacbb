namespace TinyGpt.Training;

/// <summary>
/// Training stopped early because its cancellation token was cancelled (Ctrl+C, SIGTERM, a host
/// shutting down): the last completed step was saved as a checkpoint when the run has a folder, so
/// resuming continues exactly from there.
/// </summary>
public sealed class TrainingStoppedException : OperationCanceledException
{
    /// <summary>Creates the exception for a stop after <paramref name="step"/> optimizer steps.</summary>
    public TrainingStoppedException(int step, string? checkpointPath, CancellationToken cancellationToken)
        : base(checkpointPath is null
            ? $"Training stopped after step {step}; no checkpoint was written."
            : $"Training stopped after step {step}; the checkpoint '{checkpointPath}' holds it.", cancellationToken)
    {
        Step = step;
        CheckpointPath = checkpointPath;
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

    /// <summary>The checkpoint written when training stopped (on the rank that writes files); null when none was.</summary>
    public string? CheckpointPath { get; }
}
