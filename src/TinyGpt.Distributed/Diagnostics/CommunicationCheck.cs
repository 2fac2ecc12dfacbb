using System.Diagnostics;
using System.Text;
using TinyGpt.Distributed.Mpi;
using TinyGpt.Torch;
using TinyGpt.Training;
using TorchSharp;

namespace TinyGpt.Distributed.Diagnostics;

/// <summary>
/// The communication self-test behind <c>tinygpt ddp-check</c>: where every rank runs, whether
/// all-reduce sums are exact for several sizes and types, all-reduce bandwidth and latency, and
/// barrier time. Collective: every rank calls <see cref="Run"/> with the same options.
/// </summary>
public static class CommunicationCheck
{
    // Values repeat with this period so sums stay exactly representable in float32 (< 2^24) for
    // thousands of ranks, while still differing from element to element to catch misplaced data.
    private const int ValuePeriod = 1021;

    // int64 values carry this offset so that a sum truncated to 32 bits cannot pass.
    private const long Int64Offset = 1L << 40;

    private const int HostNameBytes = 256;

    /// <summary>The element types the exact check supports.</summary>
    public static IReadOnlyList<torch.ScalarType> SupportedDTypes { get; } =
        [torch.ScalarType.Float32, torch.ScalarType.Float64, torch.ScalarType.Int32, torch.ScalarType.Int64];

    /// <summary>Runs the check; every rank gets the same report, so every rank can exit with the same code.</summary>
    public static CommunicationCheckReport Run(ICollective collective, CommunicationCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(collective);
        options ??= new CommunicationCheckOptions();
        options.Validate();

        var ranks = GatherRanks(collective);
        var correctness = CheckAllReduce(collective, options);
        var bandwidth = options.BandwidthBytes
            .Order()
            .Select(bytes =>
            {
                var iterations = IterationsFor(bytes, options.Iterations);
                return AllReduceBenchmark.Measure(collective, bytes, iterations, Math.Max(options.WarmupIterations, iterations / 10));
            })
            .ToList();
        var barrier = TimeBarrier(collective, options.BarrierIterations);
        return new CommunicationCheckReport(collective.WorldSize, DescribeLibrary(collective), ranks, correctness, bandwidth, barrier);
    }

    // Small messages take microseconds: repeat them until about 256 MiB has moved (at most 1000
    // times) so the time is not lost in timer noise and JIT warm-up. Very large ones repeat less.
    internal static int IterationsFor(long bytes, int iterations)
    {
        if (bytes > 64L << 20)
        {
            return (int)Math.Clamp(iterations * (64L << 20) / bytes, 3, iterations);
        }

        return (int)Math.Max(iterations, Math.Min(1000, (256L << 20) / bytes));
    }

    private static string DescribeLibrary(ICollective collective) => collective switch
    {
        MpiCollective mpi => $"{mpi.LibraryVersion.Split('\n')[0].Trim().TrimEnd(',')} ({mpi.LibraryPath})",
        SingleProcessCollective => "single process, no MPI",
        _ => collective.GetType().Name,
    };

    private static List<RankInfo> GatherRanks(ICollective collective)
    {
        var host = collective is MpiCollective mpi ? mpi.HostName : Environment.MachineName;
        var hostBytes = new byte[HostNameBytes];
        var encoded = Encoding.UTF8.GetBytes(host);
        encoded.AsSpan(0, Math.Min(encoded.Length, HostNameBytes - 1)).CopyTo(hostBytes); // keep a terminating zero

        using var scope = torch.NewDisposeScope();
        var numbers = torch.tensor(new long[] { collective.Rank, collective.LocalRank, Environment.ProcessId });
        var allNumbers = torch.empty(collective.WorldSize * 3, torch.int64);
        collective.AllGather(numbers, allNumbers);
        var names = torch.tensor(hostBytes);
        var allNames = torch.empty(collective.WorldSize * HostNameBytes, torch.uint8);
        collective.AllGather(names, allNames);

        var n = allNumbers.data<long>().ToArray();
        var h = allNames.data<byte>().ToArray();
        return Enumerable.Range(0, collective.WorldSize)
            .Select(r =>
            {
                var name = h.AsSpan(r * HostNameBytes, HostNameBytes);
                var length = name.IndexOf((byte)0);
                return new RankInfo((int)n[r * 3], (int)n[(r * 3) + 1], Encoding.UTF8.GetString(length < 0 ? name : name[..length]), (int)n[(r * 3) + 2]);
            })
            .ToList();
    }

    private static List<AllReduceCorrectness> CheckAllReduce(ICollective collective, CommunicationCheckOptions options)
    {
        var cases = options.DTypes.SelectMany(type => options.ElementCounts.Select(count => (Type: type, Count: count))).ToList();
        var localMismatches = new long[cases.Count];
        for (int i = 0; i < cases.Count; i++)
        {
            var corrupt = i == 0 && options.InjectFaultOnRank == collective.Rank;
            localMismatches[i] = CountMismatches(collective, cases[i].Type, cases[i].Count, corrupt);
        }

        // Sum the mismatch counts so that every rank sees every rank's failures and reaches the same verdict.
        using var mismatches = torch.tensor(localMismatches);
        collective.AllReduceSum(mismatches);
        var total = mismatches.data<long>().ToArray();
        return cases.Select((c, i) => new AllReduceCorrectness(c.Type, c.Count, total[i])).ToList();
    }

    private static long CountMismatches(ICollective collective, torch.ScalarType type, long count, bool corrupt)
    {
        using var scope = torch.NewDisposeScope();
        long rankFactor = collective.Rank + 1;
        long sumOfFactors = (long)collective.WorldSize * (collective.WorldSize + 1) / 2;

        // Scalars with owners (see OwnedScalars in TinyGpt).
        using var period = ValuePeriod.ToScalar();
        using var int64Offset = Int64Offset.ToScalar();
        using var half = 0.5.ToScalar();
        using var rank = rankFactor.ToScalar();
        using var sum = sumOfFactors.ToScalar();

        // Rank r contributes pattern x (r + 1), so the exact sum is pattern x n(n+1)/2.
        var pattern = OwnedScalars.Arange(0, count).remainder(period).add(OwnedScalars.One, OwnedScalars.One);
        var (contribution, expected) = type switch
        {
            torch.ScalarType.Int64 => (pattern.add(int64Offset, OwnedScalars.One).mul(rank), pattern.add(int64Offset, OwnedScalars.One).mul(sum)),
            // Halves are exact in binary floating point and catch a reduction that rounds.
            torch.ScalarType.Float32 or torch.ScalarType.Float64 =>
                (pattern.to_type(type).add(half, OwnedScalars.One).mul(rank), pattern.to_type(type).add(half, OwnedScalars.One).mul(sum)),
            _ => (pattern.mul(rank).to_type(type), pattern.mul(sum).to_type(type)),
        };
        var tensor = contribution.to_type(type).contiguous();
        collective.AllReduceSum(tensor);
        if (corrupt)
        {
            tensor.narrow(0, 0, 1).add_(OwnedScalars.One, OwnedScalars.One);
        }

        return tensor.ne(expected.to_type(type)).sum().item<long>();
    }

    private static TimeSpan TimeBarrier(ICollective collective, int iterations)
    {
        collective.Barrier();
        var stopwatch = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++)
        {
            collective.Barrier();
        }

        stopwatch.Stop();
        return TimeSpan.FromSeconds(AllReduceBenchmark.MaxOverRanks(collective, stopwatch.Elapsed.TotalSeconds / iterations));
    }
}
