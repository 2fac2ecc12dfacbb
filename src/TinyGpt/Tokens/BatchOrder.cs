namespace TinyGpt.Tokens;

/// <summary>How training windows are chosen.</summary>
public enum BatchOrder
{
    /// <summary>
    /// Epochs over non-overlapping windows (window <c>k</c> starts at token <c>k * T</c>), each epoch
    /// in its own seeded shuffled order; every window is used once per epoch.
    /// </summary>
    ShuffledEpochs,

    /// <summary>Windows at uniformly random offsets (nanoGPT's sampling), drawn from (seed, epoch, step, row).</summary>
    RandomOffsets,
}
