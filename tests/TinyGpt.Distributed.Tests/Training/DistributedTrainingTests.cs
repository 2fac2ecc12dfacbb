using System.Text.RegularExpressions;
using TinyGpt.Distributed.Tests.Infrastructure;

namespace TinyGpt.Distributed.Tests.Training;

/// <summary>
/// Data-parallel training under mpirun, through the test host's <c>train</c> command: a tiny model,
/// dropout 0, shuffled epochs, and each rank initialized with a different seed (so agreement needs
/// the initial broadcast). The equivalence checks train in float64: 2 ranks sum the gradient of the
/// batch in another order than 1 process does, and in float32 Adam turns that rounding into
/// differences of 1e-5 in a few steps (how much depends on the CPU's kernels), which would hide a
/// real error of the same size; in float64 the same code agrees to 1e-12.
/// </summary>
[Collection(MpirunCollection.Name)]
public sealed partial class DistributedTrainingTests
{
    // Hang guards, not speed limits.
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(240);
    private static readonly TimeSpan AbortDeadline = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Two_ranks_with_batch_b_match_one_process_with_batch_2b(int accumulation)
    {
        using var folder = new TemporaryFolder();
        var steps = 8;
        var single = MpiRun.TestHost(1, Generous, Train(folder.Sub("single"), batch: 4, accumulation, steps, float64: true));
        single.ExitCode.Should().Be(0, single.ToString());
        var two = MpiRun.TestHost(2, Generous, Train(folder.Sub("two"), batch: 2, accumulation, steps, float64: true));
        two.ExitCode.Should().Be(0, two.ToString());

        using var reference = TrainingRunOutput.Read(folder.Sub("single"));
        using var distributed = TrainingRunOutput.Read(folder.Sub("two"));
        reference.Losses.Should().HaveCount(steps);
        distributed.Losses.Should().HaveCount(steps);
        for (var i = 0; i < steps; i++)
        {
            distributed.Losses[i].Should().BeApproximately(reference.Losses[i], 1e-9, $"loss of step {i + 1}");
        }

        // The loss moved: the runs trained, they did not both stay at the initial weights.
        reference.Losses[^1].Should().BeLessThan(reference.Losses[0] - 0.1);
        distributed.MaxWeightDifference(reference).Should().BeLessThan(1e-6);
    }

    [Fact]
    public void Replicas_stay_bitwise_identical_after_every_step()
    {
        using var folder = new TemporaryFolder();

        var result = MpiRun.TestHost(2, Generous, [.. Train(folder.Path, batch: 2, accumulation: 2, steps: 5), "--check-replicas"]);

        result.ExitCode.Should().Be(0, result.ToString());
        // Both ranks gathered every rank's full parameters after each of the 5 steps and found no differing bit.
        for (var step = 1; step <= 5; step++)
        {
            result.Output.Should().Contain($"rank 0: replicas bitwise identical after step {step} (")
                .And.Contain($"rank 1: replicas bitwise identical after step {step} (");
        }
    }

    [Fact]
    public void Resuming_under_mpi_continues_exactly_as_an_uninterrupted_mpi_run()
    {
        using var folder = new TemporaryFolder();
        var straight = MpiRun.TestHost(2, Generous, Train(folder.Sub("straight"), batch: 2, accumulation: 1, steps: 8));
        straight.ExitCode.Should().Be(0, straight.ToString());

        var first = MpiRun.TestHost(2, Generous, [.. Train(folder.Sub("split"), batch: 2, accumulation: 1, steps: 8), "--cancel-at", "4"]);
        first.ExitCode.Should().NotBe(0, first.ToString());
        first.Output.Should().Contain("rank 0: cancelled after step 4").And.Contain("rank 1: cancelled after step 4");
        Directory.EnumerateFiles(Path.Combine(folder.Sub("split"), "checkpoints"), "*", SearchOption.AllDirectories).Should().NotBeEmpty();
        var resumed = MpiRun.TestHost(2, Generous, [.. Train(folder.Sub("split"), batch: 2, accumulation: 1, steps: 8), "--resume"]);
        resumed.ExitCode.Should().Be(0, resumed.ToString());

        using var a = TrainingRunOutput.Read(folder.Sub("straight"));
        using var b = TrainingRunOutput.Read(folder.Sub("split"));
        b.Losses.Should().Equal(a.Losses);
        b.MaxWeightDifference(a).Should().BeLessThan(1e-6);
    }

    [Fact]
    public void A_rank_that_throws_during_training_ends_the_job_with_a_failure()
    {
        using var folder = new TemporaryFolder();

        var result = MpiRun.TestHost(2, AbortDeadline, [.. Train(folder.Path, batch: 2, accumulation: 1, steps: 50), "--throw-on-rank", "1", "--throw-at-step", "2"]);

        result.TimedOut.Should().BeFalse($"a failed rank must end the job, not leave the others waiting; {result}");
        result.ExitCode.Should().NotBe(0, result.ToString());
        result.Output.Should().Contain("injected training failure on rank 1 at step 2");
        FinishedLine().IsMatch(result.Output).Should().BeFalse("no rank may finish training");
    }

    internal static string[] Train(string folder, int batch, int accumulation, int steps, bool float64 = false) =>
        ["train", "--out", folder, "--batch", Invariant(batch), "--accumulation", Invariant(accumulation), "--steps", Invariant(steps), .. float64 ? new[] { "--float64" } : []];

    private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"rank \d: trained \d+ steps")]
    private static partial Regex FinishedLine();
}
