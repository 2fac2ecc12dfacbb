using TinyGpt.Distributed.Launch;
using TinyGpt.Distributed.Mpi;
using TinyGpt.Training;

namespace TinyGpt.Distributed;

/// <summary>Picks the collective for the way this process was started.</summary>
public static class Collectives
{
    /// <summary>
    /// <see cref="SingleProcessCollective"/> for a plain process (or a one-rank launch); an initialized
    /// <see cref="MpiCollective"/> when mpirun, mpiexec or srun started several ranks.
    /// </summary>
    /// <exception cref="MpiUnavailableException">Launched as one of several ranks, but no MPI library could be loaded.</exception>
    /// <exception cref="InvalidOperationException">MPI and the launcher disagree about the number of ranks.</exception>
    public static ICollective Create() => Create(LaunchEnvironment.Detect(), Environment.GetEnvironmentVariable);

    /// <summary>As <see cref="Create()"/>, for an environment already detected.</summary>
    public static ICollective Create(LaunchEnvironment environment) => Create(environment, Environment.GetEnvironmentVariable);

    internal static ICollective Create(LaunchEnvironment environment, Func<string, string?> getEnvironmentVariable)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!environment.IsMultiProcess)
        {
            return SingleProcessCollective.Instance;
        }

        MpiCollective collective;
        try
        {
            collective = MpiCollective.Initialize(getEnvironmentVariable);
        }
        catch (MpiUnavailableException ex)
        {
            throw new MpiUnavailableException(
                $"This process was started by {environment.Launcher} as rank {environment.Rank} of {environment.WorldSize?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "several"}, " +
                $"but MPI is unavailable: {ex.Message}",
                ex);
        }

        if (environment.WorldSize is { } expected && collective.WorldSize != expected)
        {
            var seen = collective.WorldSize;
            collective.Dispose();
            throw new InvalidOperationException(
                $"The launcher ({environment.Launcher}) started {expected} ranks but MPI sees {seen}: each process initialized MPI on its own. " +
                "Use the mpirun of the same MPI as the library loaded (check TINYGPT_MPI_LIBRARY), and with Slurm run 'srun --mpi=pmix' (or pmi2).");
        }

        return collective;
    }
}
