using System.Globalization;
using System.Text;

namespace TinyGpt.Distributed.Diagnostics;

/// <summary>The result of <see cref="CommunicationCheck.Run"/>; identical on every rank.</summary>
/// <param name="WorldSize">The number of ranks.</param>
/// <param name="Library">The communication library, e.g. "Open MPI v4.1.4 (libmpi.so.40)".</param>
/// <param name="Ranks">Every rank's placement, ordered by rank.</param>
/// <param name="Correctness">The exact all-reduce checks.</param>
/// <param name="Bandwidth">The all-reduce timings, smallest size first.</param>
/// <param name="BarrierTime">The mean barrier time on the slowest rank.</param>
public sealed record CommunicationCheckReport(
    int WorldSize,
    string Library,
    IReadOnlyList<RankInfo> Ranks,
    IReadOnlyList<AllReduceCorrectness> Correctness,
    IReadOnlyList<AllReduceMeasurement> Bandwidth,
    TimeSpan BarrierTime)
{
    /// <summary>The number of distinct host names among the ranks.</summary>
    public int NodeCount => Ranks.Select(rank => rank.HostName).Distinct(StringComparer.Ordinal).Count();

    /// <summary>The number of failed correctness checks.</summary>
    public int FailureCount => Correctness.Count(check => !check.Passed);

    /// <summary>True when every correctness check passed on every rank.</summary>
    public bool Passed => FailureCount == 0;

    /// <summary>The report as a plain-text table for a terminal or a log.</summary>
    public string ToTable()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"Communication check: {WorldSize} rank(s) on {NodeCount} node(s), {Library}");
        text.AppendLine();
        text.AppendLine(c, $"{"rank",6} {"local",6} {"pid",8}  host");
        foreach (var rank in Ranks)
        {
            text.AppendLine(c, $"{rank.Rank,6} {rank.LocalRank,6} {rank.ProcessId,8}  {rank.HostName}");
        }

        text.AppendLine();
        text.AppendLine("All-reduce correctness (sum, every element compared exactly on every rank)");
        text.AppendLine(c, $"{"dtype",-10} {"elements",12} {"mismatches",12}  result");
        foreach (var check in Correctness)
        {
            text.AppendLine(c, $"{check.DType,-10} {check.Elements,12} {check.MismatchedElements,12}  {(check.Passed ? "ok" : "FAILED")}");
        }

        if (Bandwidth.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(c, $"All-reduce timing (float32; algbw = bytes/time, busbw = algbw x 2(n-1)/n = algbw x {AllReduceMeasurement.BusBandwidthFactor(WorldSize):0.###})");
            text.AppendLine(c, $"{"bytes",12} {"time (us)",12} {"algbw (GB/s)",13} {"busbw (GB/s)",13}");
            foreach (var m in Bandwidth)
            {
                text.AppendLine(c, $"{m.Bytes,12} {m.TimePerOperation.TotalMicroseconds,12:0.0} {m.AlgorithmBandwidth / 1e9,13:0.000} {m.BusBandwidth / 1e9,13:0.000}");
            }

            text.AppendLine(c, $"Latency (smallest all-reduce, {Bandwidth[0].Bytes} B): {Bandwidth[0].TimePerOperation.TotalMicroseconds:0.0} us");
        }

        text.AppendLine(c, $"Barrier: {BarrierTime.TotalMicroseconds:0.0} us");
        text.AppendLine();
        text.AppendLine(c, $"Result: {(Passed ? "PASSED" : $"FAILED ({FailureCount} of {Correctness.Count} checks)")}");
        return text.ToString();
    }
}
