namespace TinyGpt.Distributed.Diagnostics;

/// <summary>
/// The time of one sum all-reduce of <see cref="Bytes"/> bytes, with bandwidths as nccl-tests defines
/// them: algorithm bandwidth = bytes / time; bus bandwidth = algorithm bandwidth x 2(n-1)/n, the
/// rate each link must sustain in a ring all-reduce, comparable across rank counts and to the
/// hardware's link speed.
/// </summary>
/// <param name="Bytes">The size of the buffer each rank reduced.</param>
/// <param name="WorldSize">The number of ranks.</param>
/// <param name="Iterations">The timed repetitions the time is averaged over.</param>
/// <param name="TimePerOperation">The mean time of one all-reduce on the slowest rank.</param>
public sealed record AllReduceMeasurement(long Bytes, int WorldSize, int Iterations, TimeSpan TimePerOperation)
{
    /// <summary>Bytes / time, in bytes per second.</summary>
    public double AlgorithmBandwidth => TimePerOperation > TimeSpan.Zero ? Bytes / TimePerOperation.TotalSeconds : 0;

    /// <summary>Algorithm bandwidth x 2(n-1)/n, in bytes per second; 0 for one rank (nothing moves).</summary>
    public double BusBandwidth => AlgorithmBandwidth * BusBandwidthFactor(WorldSize);

    /// <summary>The nccl-tests all-reduce bus-bandwidth factor 2(n-1)/n.</summary>
    public static double BusBandwidthFactor(int worldSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(worldSize, 1);
        return 2.0 * (worldSize - 1) / worldSize;
    }
}
