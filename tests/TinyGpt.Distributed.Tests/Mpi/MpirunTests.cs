using TinyGpt.Distributed.Tests.Infrastructure;

namespace TinyGpt.Distributed.Tests.Mpi;

/// <summary>Real multi-process runs: mpirun starts the test host with several ranks on this machine.</summary>
[Collection(MpirunCollection.Name)]
public sealed class MpirunTests
{
    // Hang guards, not speed limits: a healthy run takes seconds, a hung one would run forever.
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(240);
    private static readonly TimeSpan AbortDeadline = TimeSpan.FromSeconds(60);

    [Fact]
    public void Ranks_see_the_launch_environment_and_mpi_agrees()
    {
        var result = MpiRun.TestHost(2, Generous, "env");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().Contain(": rank 0 of 2").And.Contain(": rank 1 of 2");
        result.Output.Should().Contain("MpiCollective rank 0 of 2, local rank 0").And.Contain("MpiCollective rank 1 of 2, local rank 1");
    }

    [Theory]
    [InlineData(2, "algbw x 1)")]
    [InlineData(4, "algbw x 1.5")] // oversubscribed on a 2-core runner
    public void Tinygpt_ddp_check_passes_under_mpirun(int ranks, string busFactor)
    {
        var result = MpiRun.Cli(ranks, Generous, "ddp-check", "--quick");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().Contain($"{ranks} rank(s) on 1 node(s)").And.Contain(busFactor).And.Contain("Result: PASSED").And.Contain("ddp-check: PASSED");
    }

    [Fact]
    public void Tinygpt_ddp_check_fails_the_job_when_one_rank_corrupts_its_result()
    {
        var result = MpiRun.Cli(2, Generous, "ddp-check", "--quick", "--inject-fault-on-rank", "1");

        result.TimedOut.Should().BeFalse(result.ToString());
        result.ExitCode.Should().NotBe(0, result.ToString());
        result.Output.Should().Contain("Result: FAILED (1 of").And.Contain("ddp-check: FAILED");
    }

    [Fact]
    public void A_rank_that_throws_aborts_the_whole_job_instead_of_hanging()
    {
        var result = MpiRun.TestHost(3, AbortDeadline, "throw-on-rank", "1");

        result.TimedOut.Should().BeFalse($"a failed rank must end the job, not leave the others waiting; {result}");
        result.ExitCode.Should().NotBe(0, result.ToString());
        result.Output.Should().Contain("rank 1 of 3").And.Contain("injected failure on rank 1");
        result.Output.Should().NotContain("finished, which it must not");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("999")] // tensors over 999 bytes go to MPI in several calls, with uneven last pieces
    public void Collectives_are_correct_on_tensors_with_two_ranks(string? chunkBytes)
    {
        var result = chunkBytes is null
            ? MpiRun.TestHost(2, Generous, "collectives-check")
            : MpiRun.TestHost(2, Generous, "collectives-check", "--chunk-bytes", chunkBytes);

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().NotContain("FAIL rank");
        foreach (var rank in new[] { 0, 1 })
        {
            result.Output.Should()
                .Contain($"PASS rank {rank} all-reduce Float32")
                .And.Contain($"PASS rank {rank} all-reduce Int64")
                .And.Contain($"PASS rank {rank} all-reduce BFloat16")
                .And.Contain($"PASS rank {rank} all-reduce non-contiguous view (staged)")
                .And.Contain($"PASS rank {rank} async all-reduce, two outstanding")
                .And.Contain($"PASS rank {rank} broadcast from the last rank")
                .And.Contain($"PASS rank {rank} all-gather, ordered by rank")
                .And.Contain($"PASS rank {rank} null reference still throws after MPI_Init")
                .And.Contain($"PASS rank {rank} an MPI error becomes an MpiException with MPI's error text");
        }
    }

    [Fact]
    public void All_reduce_demo_sums_the_ranks()
    {
        var result = MpiRun.TestHost(2, Generous, "allreduce-demo");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().Contain("rank 0: sum = 3, 3, 3, 3").And.Contain("rank 1: sum = 3, 3, 3, 3");
    }

    [Fact]
    public void Launched_ranks_that_cannot_load_mpi_fail_with_the_reason_instead_of_running_alone()
    {
        var environment = new Dictionary<string, string> { ["TINYGPT_MPI_LIBRARY"] = "/nonexistent/libmpi.so.40" };

        var result = MpiRun.TestHost(2, AbortDeadline, environment, "allreduce-demo");

        result.TimedOut.Should().BeFalse(result.ToString());
        result.ExitCode.Should().NotBe(0, result.ToString());
        result.Output.Should().Contain("MPI is unavailable").And.Contain("TINYGPT_MPI_LIBRARY").And.Contain("/nonexistent/libmpi.so.40");
        result.Output.Should().NotContain("sum =");
    }
}
