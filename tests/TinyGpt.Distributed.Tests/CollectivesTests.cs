using TinyGpt.Distributed.Launch;
using TinyGpt.Distributed.Mpi;
using TinyGpt.Training;

namespace TinyGpt.Distributed.Tests;

public sealed class CollectivesTests
{
    [Fact]
    public void A_plain_process_gets_the_single_process_collective()
    {
        using var collective = Collectives.Create(LaunchEnvironment.SingleProcess);

        collective.Should().BeSameAs(SingleProcessCollective.Instance);
    }

    [Fact]
    public void A_one_rank_launch_gets_the_single_process_collective_without_loading_mpi()
    {
        var environment = new LaunchEnvironment(Launcher.OpenMpi, 0, 1, 0);

        using var collective = Collectives.Create(environment, _ => throw new InvalidOperationException("MPI must not be consulted"));

        collective.Should().BeSameAs(SingleProcessCollective.Instance);
    }

    [Fact]
    public void A_launched_rank_without_a_loadable_mpi_library_gets_a_clear_error()
    {
        var environment = new LaunchEnvironment(Launcher.OpenMpi, 1, 4, 1);
        string? Variables(string name) => name == "TINYGPT_MPI_LIBRARY" ? "/nonexistent/libmpi.so.40" : null;

        var act = () => Collectives.Create(environment, Variables);

        act.Should().Throw<MpiUnavailableException>()
            .WithMessage("*OpenMpi as rank 1 of 4*TINYGPT_MPI_LIBRARY*/nonexistent/libmpi.so.40*");
    }
}
