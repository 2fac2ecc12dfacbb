namespace TinyGpt.Training;

/// <summary>
/// Linear warmup to the peak learning rate, then cosine decay to the minimum, counted in optimizer
/// steps (not micro-batches). Step 0 is the first update; the last step,
/// <c>TotalSteps - 1</c>, uses exactly the minimum.
/// </summary>
public sealed record LearningRateSchedule
{
    /// <summary>Creates a schedule; the arguments are validated.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public LearningRateSchedule(double peak, double minimum, int warmupSteps, int totalSteps)
    {
        if (!(peak > 0) || double.IsInfinity(peak))
        {
            throw new ArgumentException($"The peak learning rate must be a positive number (got {peak}).", nameof(peak));
        }

        if (minimum < 0 || minimum > peak || double.IsNaN(minimum))
        {
            throw new ArgumentException($"The minimum learning rate must be in [0, peak = {peak}] (got {minimum}).", nameof(minimum));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        if (warmupSteps < 0 || warmupSteps >= totalSteps)
        {
            throw new ArgumentException($"Warmup steps must be in [0, total steps = {totalSteps}) (got {warmupSteps}); lower the warmup or train longer.", nameof(warmupSteps));
        }

        (Peak, Minimum, WarmupSteps, TotalSteps) = (peak, minimum, warmupSteps, totalSteps);
    }

    /// <summary>The learning rate at the end of warmup.</summary>
    public double Peak { get; }

    /// <summary>The learning rate of the last step.</summary>
    public double Minimum { get; }

    /// <summary>Steps of linear warmup; step <c>WarmupSteps - 1</c> reaches the peak.</summary>
    public int WarmupSteps { get; }

    /// <summary>Number of optimizer steps in the whole run.</summary>
    public int TotalSteps { get; }

    /// <summary>The learning rate of optimizer step <paramref name="step"/> (0-based).</summary>
    public double At(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < WarmupSteps)
        {
            return Peak * (step + 1) / WarmupSteps;
        }

        if (step >= TotalSteps - 1)
        {
            return Minimum;
        }

        // From the first step after warmup (the peak) to the last step (the minimum).
        var progress = (double)(step - WarmupSteps) / (TotalSteps - 1 - WarmupSteps);
        return Minimum + (0.5 * (Peak - Minimum) * (1 + Math.Cos(Math.PI * progress)));
    }
}
