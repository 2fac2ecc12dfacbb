using System.Globalization;
using TinyGpt.Modeling;

namespace TinyGpt.Training;

/// <summary>What <see cref="AutoPreset"/> chose, and the timings it chose by.</summary>
/// <param name="Preset">The preset chosen.</param>
/// <param name="Config">Its shape for the run.</param>
/// <param name="Measured">The presets timed, smallest first: each that fit the passes, then the first that did not (tiny, the fallback, is never timed).</param>
public sealed record AutoPresetChoice(GptPreset Preset, GptConfig Config, IReadOnlyList<AutoPresetCandidate> Measured)
{
    /// <summary>How long the timing took (set by the overload that takes <see cref="TrainingOptions"/>).</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>What is left of the time budget after the timing, in whole seconds (set by the overload that takes <see cref="TrainingOptions"/>).</summary>
    public TimeSpan? BudgetLeft { get; init; }

    /// <summary>One line for the log: the choice and why.</summary>
    public override string ToString()
    {
        var timings = string.Join("; ", Measured.Select(m => string.Create(CultureInfo.InvariantCulture, $"{Name(m.Preset)} {m.StepSeconds:F2} s per step, {m.Epochs:F1} passes")));
        var wanted = AutoPreset.EpochsWanted.ToString("0.#", CultureInfo.InvariantCulture);
        var reason = Measured.Any(m => m.Epochs < AutoPreset.EpochsWanted)
            ? $"the next larger preset fits fewer than {wanted} passes over the training tokens"
            : $"the largest preset, and it fits {wanted} passes over the training tokens";
        return Measured.Count == 0 ? Name(Preset) : $"{Name(Preset)}: {reason} ({timings})";
    }

    private static string Name(GptPreset preset) => preset.ToString().ToLowerInvariant();
}
