namespace TinyGpt.Training;

/// <summary>A checkpoint that was loaded to resume training.</summary>
/// <param name="Path">The file it came from.</param>
/// <param name="State">Where the run stood.</param>
/// <param name="Note">Why another checkpoint than the newest one was used (the newest was missing or damaged), or null.</param>
public sealed record RestoredCheckpoint(string Path, TrainerState State, string? Note)
{
    /// <summary>Names of the training tensors asked for that the checkpoint does not hold (left as they were); empty when it held them all.</summary>
    public IReadOnlyList<string> MissingState { get; init; } = [];
}
