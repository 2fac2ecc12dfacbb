using TinyGpt.Distributed;
using TinyGpt.Training;

namespace TinyGpt.Cli;

/// <summary>Picks the collective for this process: MPI when launched by mpirun, srun or an MPIJob with several ranks, otherwise a single process.</summary>
internal static class DistributedLaunch
{
    public static ICollective CreateCollective() => Collectives.Create();
}
