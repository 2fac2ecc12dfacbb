using TinyGpt.Distributed.Launch;

namespace TinyGpt.Distributed.Tests.Launch;

public sealed class LaunchEnvironmentTests
{
    private static LaunchEnvironment Detect(params (string Name, string Value)[] variables) =>
        LaunchEnvironment.Detect(variables.ToDictionary(v => v.Name, v => v.Value));

    [Fact]
    public void No_launcher_variables_means_a_single_process()
    {
        var environment = Detect(("PATH", "/usr/bin"));

        environment.Should().Be(LaunchEnvironment.SingleProcess);
        environment.IsUnderLauncher.Should().BeFalse();
        environment.IsMultiProcess.Should().BeFalse();
    }

    [Fact]
    public void Open_mpi_variables_give_rank_size_and_local_rank()
    {
        var environment = Detect(("OMPI_COMM_WORLD_RANK", "3"), ("OMPI_COMM_WORLD_SIZE", "8"), ("OMPI_COMM_WORLD_LOCAL_RANK", "1"));

        environment.Should().Be(new LaunchEnvironment(Launcher.OpenMpi, 3, 8, 1));
        environment.IsMultiProcess.Should().BeTrue();
    }

    [Fact]
    public void Mpich_hydra_variables_give_rank_size_and_local_rank()
    {
        var environment = Detect(("PMI_RANK", "2"), ("PMI_SIZE", "4"), ("MPI_LOCALRANKID", "0"));

        environment.Should().Be(new LaunchEnvironment(Launcher.Pmi, 2, 4, 0));
    }

    [Fact]
    public void Srun_step_variables_give_rank_size_and_local_rank()
    {
        var environment = Detect(
            ("SLURM_PROCID", "5"), ("SLURM_STEP_ID", "0"), ("SLURM_STEP_NUM_TASKS", "16"), ("SLURM_NTASKS", "32"), ("SLURM_LOCALID", "1"));

        environment.Should().Be(new LaunchEnvironment(Launcher.Slurm, 5, 16, 1));
    }

    [Fact]
    public void An_sbatch_script_outside_an_srun_step_is_not_a_launched_rank()
    {
        // The batch script sees the allocation's task count, but only srun starts ranks.
        var environment = Detect(("SLURM_PROCID", "0"), ("SLURM_NTASKS", "8"), ("SLURM_JOB_ID", "42"));

        environment.IsUnderLauncher.Should().BeFalse();
    }

    [Fact]
    public void Pmix_alone_gives_the_rank_and_leaves_size_to_mpi()
    {
        var environment = Detect(("PMIX_RANK", "1"), ("PMIX_NAMESPACE", "prterun-host-1234@1"));

        environment.Should().Be(new LaunchEnvironment(Launcher.Pmix, 1, null, null));
        environment.IsMultiProcess.Should().BeTrue();
    }

    [Fact]
    public void Open_mpi_variables_win_over_slurm_and_pmix()
    {
        var environment = Detect(
            ("OMPI_COMM_WORLD_RANK", "1"), ("OMPI_COMM_WORLD_SIZE", "2"), ("PMIX_RANK", "1"), ("SLURM_PROCID", "0"), ("SLURM_STEP_ID", "0"), ("SLURM_NTASKS", "1"));

        environment.Launcher.Should().Be(Launcher.OpenMpi);
        environment.WorldSize.Should().Be(2);
    }

    [Fact]
    public void A_one_rank_launch_is_not_multi_process()
    {
        var environment = Detect(("OMPI_COMM_WORLD_RANK", "0"), ("OMPI_COMM_WORLD_SIZE", "1"), ("OMPI_COMM_WORLD_LOCAL_RANK", "0"));

        environment.IsUnderLauncher.Should().BeTrue();
        environment.IsMultiProcess.Should().BeFalse();
    }

    [Fact]
    public void A_non_numeric_rank_names_the_variable()
    {
        var act = () => Detect(("OMPI_COMM_WORLD_RANK", "zero"));

        act.Should().Throw<FormatException>().WithMessage("*OMPI_COMM_WORLD_RANK*zero*");
    }

    [Fact]
    public void A_rank_outside_the_world_is_rejected()
    {
        var act = () => Detect(("PMI_RANK", "4"), ("PMI_SIZE", "4"));

        act.Should().Throw<FormatException>().WithMessage("*rank 4*world size 4*");
    }
}
