using System.Text.RegularExpressions;
using TinyGpt.Checkpoints;
using TinyGpt.Distributed.Tests.Infrastructure;
using TinyGpt.Testing;

namespace TinyGpt.Distributed.Tests.Training;

/// <summary>
/// Real signals to a real <c>mpirun -np 2 tinygpt train</c>. SIGUSR1, which mpirun forwards to every
/// rank at once, stops every rank at the same step boundary; rank 0 writes the checkpoint, however
/// long that takes, and the job ends with the ranks' exit code (138). Ctrl+C or SIGTERM make mpirun
/// itself end the job: it sends the ranks SIGTERM after <c>odls_base_sigkill_timeout</c> and kills
/// them after twice that; the ranks use the time between to stop together and save.
/// </summary>
[Collection(MpirunCollection.Name)]
public sealed partial class StopSignalsUnderMpirunTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public void Sigusr1_stops_every_rank_at_the_same_step_and_rank_0_saves_it()
    {
        using var folder = new TemporaryFolder();
        var run = PreparedCliRun.In(folder, Timeout);
        using (var job = MpiRun.StartCli(2, [], Train(run, "100000")))
        {
            job.WaitForLine(line => line.Contains("step 5/", StringComparison.Ordinal), Timeout);
            job.Signal(WatchedProcess.SigUsr1);
            job.WaitForExit(Timeout).Should().Be(138, job.Output);

            // Each rank says where it stopped: both at the same step; rank 0 wrote it.
            var stops = StoppedLine().Matches(job.Output).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            stops.Should().HaveCount(2, job.Output).And.OnlyContain(step => step == stops[0]);
            job.Output.Should().Contain("rank 0 saved the checkpoint");
            var latest = new CheckpointStore(Path.Combine(run, "checkpoints")).LatestPath!;
            CheckpointStore.ReadState(latest).Step.Should().Be(stops[0]);
            job.Output.Should().NotContain("\u001b", "logs under mpirun are plain text");
        }

        var resumed = MpiRun.Cli(2, Timeout, Train(run, "30", "--resume"));
        resumed.ExitCode.Should().Be(0, resumed.ToString());
    }

    [Fact]
    public void Ctrl_c_on_mpirun_lets_the_ranks_stop_together_and_save_before_mpirun_ends_the_job()
    {
        using var folder = new TemporaryFolder();
        var run = PreparedCliRun.In(folder, Timeout);
        // Open MPI's default gives the ranks 1 s; a larger model would need more.
        using var job = MpiRun.StartCli(2, ["--mca", "odls_base_sigkill_timeout", "5"], Train(run, "100000"));
        var logged = job.WaitForLine(line => line.Contains("step 5/", StringComparison.Ordinal), Timeout);

        job.Signal(WatchedProcess.SigInt);

        job.WaitForExit(Timeout).Should().NotBe(0, "mpirun ends the job when it is interrupted");
        var latest = new CheckpointStore(Path.Combine(run, "checkpoints")).LatestPath;
        latest.Should().NotBeNull($"the ranks saved a checkpoint when mpirun passed them SIGTERM; output:\n{job.Output}");
        CheckpointStore.ReadState(latest!).Step.Should().BeGreaterThanOrEqualTo(5, logged);
        using var model = CheckpointStore.LoadModel(latest!);
        model.Should().NotBeNull("the checkpoint is complete");
    }

    private static string[] Train(string run, string steps, params string[] more) =>
        ["train", "--run", run, "--context", "32", "--batch-size", "4", "--max-steps", steps, "--eval-interval", "0", "--log-interval", "1", "--threads", "1", .. more];

    [GeneratedRegex(@"tinygpt: stopped after step (\d+)")]
    private static partial Regex StoppedLine();
}
