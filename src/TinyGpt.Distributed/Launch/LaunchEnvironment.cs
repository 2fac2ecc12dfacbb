using System.Collections;
using System.Globalization;

namespace TinyGpt.Distributed.Launch;

/// <summary>
/// Rank, world size and local rank as the launcher announced them in environment variables, read
/// before MPI is initialized (so a process can decide whether it needs MPI at all).
/// </summary>
/// <param name="Launcher">What started the process.</param>
/// <param name="Rank">This process's rank, 0 when not launched.</param>
/// <param name="WorldSize">The number of processes, or null when the launcher gives the rank but not the size (plain PMIx); MPI then tells.</param>
/// <param name="LocalRank">The rank on this node, or null when the launcher does not say; MPI then computes it.</param>
public sealed record LaunchEnvironment(Launcher Launcher, int Rank, int? WorldSize, int? LocalRank)
{
    /// <summary>The environment of a process nobody launched: rank 0 of 1.</summary>
    public static LaunchEnvironment SingleProcess { get; } = new(Launcher.None, 0, 1, 0);

    /// <summary>True when a launcher (mpirun, mpiexec, srun, prterun) started this process.</summary>
    public bool IsUnderLauncher => Launcher != Launcher.None;

    /// <summary>True when the job has, or may have, more than one process and so needs MPI.</summary>
    public bool IsMultiProcess => IsUnderLauncher && (WorldSize is null || WorldSize > 1);

    /// <summary>Reads the current process's environment.</summary>
    public static LaunchEnvironment Detect() => Detect(Environment.GetEnvironmentVariable);

    /// <summary>Reads the given environment variables (for tests and for launch planning).</summary>
    public static LaunchEnvironment Detect(IReadOnlyDictionary<string, string> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        return Detect(name => variables.TryGetValue(name, out var value) ? value : null);
    }

    /// <summary>Reads environment variables through <paramref name="getEnvironmentVariable"/>.</summary>
    /// <exception cref="FormatException">A launcher variable is present but is not a valid number; the message names it.</exception>
    public static LaunchEnvironment Detect(Func<string, string?> getEnvironmentVariable)
    {
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        int? Read(string name) => ReadInt(getEnvironmentVariable, name);

        // Open MPI sets these for every rank it starts, under mpirun or under srun with its PMIx plugin.
        if (Read("OMPI_COMM_WORLD_RANK") is { } ompiRank)
        {
            return Validated(Launcher.OpenMpi, ompiRank, Read("OMPI_COMM_WORLD_SIZE"), Read("OMPI_COMM_WORLD_LOCAL_RANK"));
        }

        // MPICH Hydra, Intel MPI and other PMI launchers.
        if (Read("PMI_RANK") is { } pmiRank)
        {
            return Validated(Launcher.Pmi, pmiRank, Read("PMI_SIZE"), Read("MPI_LOCALRANKID") ?? Read("PMI_LOCAL_RANK"));
        }

        // Slurm's srun, with or without a PMI plugin. Inside an sbatch script (not an srun step)
        // SLURM_NTASKS describes the allocation, not this process, so the step's count wins.
        if (Read("SLURM_PROCID") is { } slurmRank && getEnvironmentVariable("SLURM_STEP_ID") is not null)
        {
            return Validated(Launcher.Slurm, slurmRank, Read("SLURM_STEP_NUM_TASKS") ?? Read("SLURM_NTASKS"), Read("SLURM_LOCALID"));
        }

        // A PMIx server that sets nothing else (the size then comes from MPI itself).
        if (Read("PMIX_RANK") is { } pmixRank)
        {
            return Validated(Launcher.Pmix, pmixRank, null, null);
        }

        return SingleProcess;
    }

    /// <summary>Reads the current process's environment into a dictionary (a snapshot for logging or for <see cref="Detect(IReadOnlyDictionary{string, string})"/>).</summary>
    public static IReadOnlyDictionary<string, string> CurrentVariables()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && entry.Value is string value)
            {
                result[key] = value;
            }
        }

        return result;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Launcher}: rank {Rank} of {(WorldSize is { } size ? size.ToString(CultureInfo.InvariantCulture) : "?")}, local rank {(LocalRank is { } local ? local.ToString(CultureInfo.InvariantCulture) : "?")}");

    private static LaunchEnvironment Validated(Launcher launcher, int rank, int? worldSize, int? localRank)
    {
        if (rank < 0 || worldSize is <= 0 || (worldSize is { } size && rank >= size) || localRank < 0)
        {
            throw new FormatException(
                $"The {launcher} launcher variables are inconsistent: rank {rank}, world size {worldSize?.ToString(CultureInfo.InvariantCulture) ?? "unset"}, local rank {localRank?.ToString(CultureInfo.InvariantCulture) ?? "unset"}. " +
                "The rank must be in [0, world size); check that no stale variables were exported into the job's environment.");
        }

        return new LaunchEnvironment(launcher, rank, worldSize, localRank);
    }

    private static int? ReadInt(Func<string, string?> getEnvironmentVariable, string name)
    {
        var text = getEnvironmentVariable(name);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (!int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            throw new FormatException($"Environment variable {name}='{text}' is not an integer; the launcher sets it to a rank or count.");
        }

        return value;
    }
}
