using System.CommandLine;
using TinyGpt.Distributed.Diagnostics;

namespace TinyGpt.Cli.Commands;

/// <summary><c>tinygpt ddp-check</c>: the communication self-test; exits non-zero when any check fails.</summary>
internal static class DdpCheckCommand
{
    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "Smaller sizes and fewer iterations." };
        // Test-only: makes one rank corrupt its all-reduce result so the check must fail.
        var injectFault = new Option<int?>("--inject-fault-on-rank") { Hidden = true };
        var command = new Command("ddp-check", "Check communication between ranks: host and rank info, all-reduce correctness over sizes and dtypes, bus bandwidth, latency and barrier time. Run it under mpirun.")
        {
            quick, injectFault,
        };
        command.SetAction(result => CliErrors.RunAsync(() =>
        {
            using var collective = DistributedLaunch.CreateCollective();
            var fault = result.GetValue(injectFault);
            var options = result.GetValue(quick)
                ? new CommunicationCheckOptions { ElementCounts = [1, 1 << 10, 1 << 16], BandwidthBytes = [8, 1 << 20], Iterations = 5, WarmupIterations = 1, BarrierIterations = 20, InjectFaultOnRank = fault }
                : new CommunicationCheckOptions { InjectFaultOnRank = fault };
            var report = CommunicationCheck.Run(collective, options);
            if (collective.IsPrimary)
            {
                Console.WriteLine(report.ToTable());
                Console.WriteLine(report.Passed ? "ddp-check: PASSED" : $"ddp-check: FAILED ({report.FailureCount} check(s) wrong)");
            }

            return Task.FromResult(report.Passed ? 0 : 1);
        }));
        return command;
    }
}
