namespace TinyGpt.Distributed.Launch;

/// <summary>What started this process, as told by the environment variables launchers set.</summary>
public enum Launcher
{
    /// <summary>No launcher: a plain single process.</summary>
    None,

    /// <summary>Open MPI's <c>mpirun</c>/<c>mpiexec</c> (OMPI_COMM_WORLD_*).</summary>
    OpenMpi,

    /// <summary>A PMIx server such as Open MPI 5's <c>prterun</c> or <c>srun --mpi=pmix</c> (PMIX_RANK).</summary>
    Pmix,

    /// <summary>MPICH's Hydra <c>mpiexec</c> or another PMI-1/PMI-2 launcher, including Intel MPI (PMI_RANK, PMI_SIZE).</summary>
    Pmi,

    /// <summary>Slurm's <c>srun</c> (SLURM_PROCID, SLURM_STEP_NUM_TASKS/SLURM_NTASKS).</summary>
    Slurm,
}
