using TinyGpt.Distributed.Mpi;
using TinyGpt.Distributed.Tests.Infrastructure;
using TinyGpt.Distributed.Tests.Training;
using Xunit.Abstractions;

namespace TinyGpt.Distributed.Tests.Mpi;

/// <summary>
/// The MPICH side of the binding (integer handles, libmpich.so.12, Hydra's PMI variables), run
/// under MPICH's own launcher when it is installed (CI installs the Debian 'mpich' package next to
/// Open MPI). Without it each test says so and returns early.
/// </summary>
[Collection(MpirunCollection.Name)]
public sealed class MpichTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(240);

    [Fact]
    public void Under_hydra_the_mpich_library_is_searched_first()
    {
        MpiLibrary.SearchNamesFor(TinyGpt.Distributed.Launch.Launcher.Pmi).Take(2).Should().Equal("libmpi.so.12", "libmpich.so.12");
        MpiLibrary.SearchNamesFor(TinyGpt.Distributed.Launch.Launcher.OpenMpi)[0].Should().Be("libmpi.so.40");
    }

    [Fact]
    public void Collectives_are_correct_on_tensors_under_mpich()
    {
        if (Launcher() is not { } mpiexec)
        {
            return;
        }

        var result = MpiRun.TestHostUnderMpich(mpiexec, 2, Generous, "collectives-check");
        output.WriteLine(result.ToString());

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().Contain("rank 0: 0 failure(s)").And.Contain("rank 1: 0 failure(s)").And.NotContain("FAIL");
    }

    [Fact]
    public void Tinygpt_ddp_check_passes_under_mpich()
    {
        if (Launcher() is not { } mpiexec)
        {
            return;
        }

        var result = MpiRun.CliUnderMpich(mpiexec, 2, Generous, "ddp-check", "--quick");
        output.WriteLine(result.ToString());

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().Contain("MPICH").And.Contain("2 rank(s) on 1 node(s)").And.Contain("ddp-check: PASSED");
    }

    [Fact]
    public void Training_under_mpich_matches_one_process()
    {
        if (Launcher() is not { } mpiexec)
        {
            return;
        }

        using var folder = new TemporaryFolder();
        var single = MpiRun.TestHost(1, Generous, DistributedTrainingTests.Train(folder.Sub("single"), batch: 4, accumulation: 1, steps: 6, float64: true));
        single.ExitCode.Should().Be(0, single.ToString());

        var mpich = MpiRun.TestHostUnderMpich(mpiexec, 2, Generous, DistributedTrainingTests.Train(folder.Sub("mpich"), batch: 2, accumulation: 1, steps: 6, float64: true));
        output.WriteLine(mpich.ToString());

        mpich.ExitCode.Should().Be(0, mpich.ToString());
        using var reference = TrainingRunOutput.Read(folder.Sub("single"));
        using var distributed = TrainingRunOutput.Read(folder.Sub("mpich"));
        distributed.Losses.Should().HaveCount(6);
        distributed.MaxWeightDifference(reference).Should().BeLessThan(1e-6);
    }

    private string? Launcher()
    {
        var mpiexec = MpiRun.FindMpichLauncher();
        if (mpiexec is null)
        {
            output.WriteLine("SKIPPED (not asserted): MPICH is not installed (no mpiexec.mpich or mpiexec.hydra on PATH; 'apt-get install mpich' or set TINYGPT_MPICH_MPIEXEC).");
        }

        return mpiexec;
    }
}
