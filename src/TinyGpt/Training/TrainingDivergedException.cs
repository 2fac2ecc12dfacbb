namespace TinyGpt.Training;

/// <summary>The training loss became NaN or infinite; the weights of that step were not updated and no checkpoint was written from them.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception for <paramref name="step"/>.</summary>
    public TrainingDivergedException(int step, double loss)
        : base($"Training diverged at step {step}: the loss is {loss}. The last good checkpoint is kept; resume from it with a lower learning rate, more warmup or gradient clipping.")
    {
        Step = step;
        Loss = loss;
    }

    /// <summary>Creates the exception with a message.</summary>
    public TrainingDivergedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    public TrainingDivergedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException()
    {
    }

    /// <summary>The optimizer step (0-based) whose loss was not finite.</summary>
    public int Step { get; }

    /// <summary>The loss value.</summary>
    public double Loss { get; }
}
