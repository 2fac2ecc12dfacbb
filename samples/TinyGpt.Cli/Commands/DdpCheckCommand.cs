using System.CommandLine;
using TinyGpt.Distributed;
using TinyGpt.Distributed.Diagnostics;

namespace TinyGpt.Cli.Commands;

/// <summary><c>tinygpt ddp-check</c>: the communication self-test; exits non-zero when any check fails.</summary>
internal static class DdpCheckCommand
{
    public static readonly Option<bool> Quick = new("--quick") { Description = "Smaller sizes and fewer iterations." };
    public static readonly Option<bool> SingleRank = new("--single-rank") { Description = "Accept a run without mpirun: check this one process alone instead of failing." };

    public static Command Create()
    {
        // Test-only: makes one rank corrupt its all-reduce result so the check must fail.
        var injectFault = new Option<int?>("--inject-fault-on-rank") { Hidden = true };
        var command = new Command("ddp-check", "Check communication between ranks: host and rank info, all-reduce correctness over sizes and dtypes, bus bandwidth, latency and barrier time. Run it under mpirun.")
        {
            Quick, SingleRank, injectFault,
        };
        command.SetAction(result => CliErrors.RunAsync(() =>
        {
            using var collective = Collectives.Create();
            if (collective.WorldSize == 1 && !result.GetValue(SingleRank))
            {
                Console.Error.WriteLine("ddp-check: this is one process, not started by mpirun, srun or an MPIJob, so there is no communication between ranks to check.");
                Console.Error.WriteLine("ddp-check: run it as 'mpirun -np 2 tinygpt ddp-check' (see docs/distributed.md), or pass --single-rank to check this process alone.");
                return Task.FromResult(1);
            }

            var fault = result.GetValue(injectFault);
            var options = result.GetValue(Quick)
                ? new CommunicationCheckOptions { ElementCounts = [1, 1 << 10, 1 << 16], BandwidthBytes = [8, 1 << 20], Iterations = 5, WarmupIterations = 1, BarrierIterations = 20, InjectFaultOnRank = fault }
                : new CommunicationCheckOptions { InjectFaultOnRank = fault };
            var report = CommunicationCheck.Run(collective, options);
            if (collective.IsPrimary)
            {
                Console.WriteLine(report.ToTable());
                Console.WriteLine(report.Passed
                    ? collective.WorldSize == 1 ? "ddp-check: PASSED (one rank, without MPI)" : "ddp-check: PASSED"
                    : $"ddp-check: FAILED ({report.FailureCount} check(s) wrong)");
            }

            return Task.FromResult(report.Passed ? 0 : 1);
        }));
        return command;
    }
}
