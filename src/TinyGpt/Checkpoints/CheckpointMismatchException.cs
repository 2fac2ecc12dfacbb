namespace TinyGpt.Checkpoints;

/// <summary>A checkpoint is complete but belongs to another model configuration or tokenizer, so it cannot continue this run.</summary>
public sealed class CheckpointMismatchException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CheckpointMismatchException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public CheckpointMismatchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    public CheckpointMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
