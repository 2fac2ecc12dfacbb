using TorchSharp;

namespace TinyGpt.Distributed.Diagnostics;

/// <summary>What <see cref="CommunicationCheck"/> tests and measures. Every rank must use the same options.</summary>
public sealed class CommunicationCheckOptions
{
    /// <summary>Element counts for the exact all-reduce checks. Default 1, 1 Ki, 1 Mi and 16 Mi elements.</summary>
    public IReadOnlyList<long> ElementCounts { get; init; } = [1, 1 << 10, 1 << 20, 16 << 20];

    /// <summary>Element types for the exact all-reduce checks. Default float32, float64, int32 and int64.</summary>
    public IReadOnlyList<torch.ScalarType> DTypes { get; init; } =
        [torch.ScalarType.Float32, torch.ScalarType.Float64, torch.ScalarType.Int32, torch.ScalarType.Int64];

    /// <summary>Buffer sizes in bytes for the timed all-reduces; the smallest gives the latency. Default 8 B, 1 MiB, 16 MiB and 64 MiB.</summary>
    public IReadOnlyList<long> BandwidthBytes { get; init; } = [8, 1 << 20, 16 << 20, 64 << 20];

    /// <summary>
    /// Timed all-reduces per size, at least; small sizes repeat until about 256 MiB has moved (at
    /// most 1000 times), sizes above 64 MiB proportionally fewer times (at least 3). Warm-up is the
    /// larger of <see cref="WarmupIterations"/> and a tenth of the timed count. Default 20.
    /// </summary>
    public int Iterations { get; init; } = 20;

    /// <summary>Untimed all-reduces before each timing. Default 5.</summary>
    public int WarmupIterations { get; init; } = 5;

    /// <summary>Barriers timed for the barrier latency. Default 100.</summary>
    public int BarrierIterations { get; init; } = 100;

    /// <summary>Test-only fault injection: the rank that corrupts one element of its first all-reduce result, so the check must fail.</summary>
    internal int? InjectFaultOnRank { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (ElementCounts is null || ElementCounts.Count == 0 || ElementCounts.Any(count => count < 1))
        {
            throw new ArgumentException("ElementCounts must list at least one positive element count.", nameof(ElementCounts));
        }

        if (DTypes is null || DTypes.Count == 0 || DTypes.Any(type => !CommunicationCheck.SupportedDTypes.Contains(type)))
        {
            throw new ArgumentException(
                $"DTypes must list at least one of {string.Join(", ", CommunicationCheck.SupportedDTypes)}.", nameof(DTypes));
        }

        if (BandwidthBytes is null || BandwidthBytes.Any(bytes => bytes < 4 || bytes % 4 != 0))
        {
            throw new ArgumentException("BandwidthBytes must be positive multiples of 4 (the timing uses float32).", nameof(BandwidthBytes));
        }

        if (Iterations < 1 || WarmupIterations < 0 || BarrierIterations < 1)
        {
            throw new ArgumentException("Iterations and BarrierIterations must be at least 1 and WarmupIterations at least 0.", nameof(Iterations));
        }
    }
}
