using System.Diagnostics;
using TinyGpt.Training;
using TorchSharp;

namespace TinyGpt.Distributed.Diagnostics;

/// <summary>Raw all-reduce timing: the floor a trainer's gradient all-reduce can be compared against.</summary>
public static class AllReduceBenchmark
{
    /// <summary>
    /// Times <paramref name="iterations"/> sum all-reduces of a contiguous CPU float32 buffer of
    /// <paramref name="bytes"/> bytes (in place, no staging) after <paramref name="warmupIterations"/>
    /// untimed ones. Collective: every rank must call it with the same arguments.
    /// </summary>
    /// <returns>The mean time per all-reduce on the slowest rank, the same on every rank.</returns>
    public static AllReduceMeasurement Measure(ICollective collective, long bytes, int iterations = 20, int warmupIterations = 5)
    {
        ArgumentNullException.ThrowIfNull(collective);
        if (bytes < 4 || bytes % 4 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "The all-reduce benchmark reduces float32 values: give a positive multiple of 4 bytes.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupIterations);

        using var buffer = torch.ones(bytes / 4, torch.float32);
        for (int i = 0; i < warmupIterations; i++)
        {
            collective.AllReduceSum(buffer);
        }

        collective.Barrier();
        var stopwatch = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++)
        {
            collective.AllReduceSum(buffer);
        }

        stopwatch.Stop();
        var seconds = MaxOverRanks(collective, stopwatch.Elapsed.TotalSeconds / iterations);
        return new AllReduceMeasurement(bytes, collective.WorldSize, iterations, TimeSpan.FromSeconds(seconds));
    }

    /// <summary>The largest of each rank's <paramref name="value"/>, known to every rank.</summary>
    internal static double MaxOverRanks(ICollective collective, double value)
    {
        using var mine = torch.tensor(new[] { value }, torch.float64);
        using var all = torch.empty(collective.WorldSize, torch.float64);
        collective.AllGather(mine, all);
        return all.max().item<double>();
    }
}
