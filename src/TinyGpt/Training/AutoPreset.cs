using System.Diagnostics;
using TinyGpt.Modeling;
using static TorchSharp.torch;

namespace TinyGpt.Training;

/// <summary>
/// Chooses the model size for a time budget (<c>tinygpt train --preset auto</c>): the largest of
/// the seed, small and tiny presets whose measured training speed fits at least
/// <see cref="EpochsWanted"/> passes over the training tokens into the budget; tiny when none does.
/// </summary>
/// <remarks>
/// The rule was measured on WikiText-2 (performance.md, "Preset auto"): on its 266 k training
/// tokens the tiny preset's best step count in the main job was 900 steps of 2,048 tokens, 6.9
/// passes (more overfit, fewer underfit); the small preset scored 6,112 against tiny's 2,962 at
/// 5 minutes, where it fit 1.6 passes, and 2,888 against 2,927 at 20, where it fit 8.2. Fewer
/// passes leave a larger model undertrained; more would favour it further but cost steps the
/// budget does not have.
/// <para>
/// Candidates are timed as the trainer times its first step: the last of three forward and
/// backward passes of random tokens at the run's batch and context (the second of two measured
/// 1.39 s per step where the trainer then measured 1.10). Smallest first: a larger preset trains
/// fewer tokens per second, so once one falls short of the passes no larger one is timed. Tiny is
/// never timed; small costs seconds; seed, timed only when small qualifies (budgets of 20 minutes
/// and more here), 10-45 s.
/// </para>
/// </remarks>
public static class AutoPreset
{
    /// <summary>Passes over the training tokens a preset must fit into the budget to be chosen.</summary>
    public const double EpochsWanted = 7;

    /// <summary>Share of the budget counted for training steps; the rest goes to evaluations and checkpoints.</summary>
    public const double TrainingShare = 0.9;

    /// <summary>The candidates, smallest first; the first needs no timing.</summary>
    public static IReadOnlyList<GptPreset> Candidates { get; } = [GptPreset.Tiny, GptPreset.Small, GptPreset.Seed];

    /// <summary>Chooses a preset by timing training steps on this machine.</summary>
    /// <param name="shape">The shape to train for a preset: the preset's own with the run's vocabulary, context and dropout.</param>
    /// <param name="trainingTokens">Tokens in the training split.</param>
    /// <param name="budget">The run's time budget.</param>
    /// <param name="sequencesPerStep">Sequences one optimizer step consumes across all ranks (batch x accumulation x ranks).</param>
    /// <param name="batchSize">Sequences per forward pass on this rank, for the timing.</param>
    /// <param name="collective">Ranks average their timings so that all choose alike; null for one process.</param>
    /// <param name="cancellationToken">Stops the timing between passes (Ctrl+C while choosing).</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static AutoPresetChoice Choose(Func<GptPreset, GptConfig> shape, long trainingTokens, TimeSpan budget, long sequencesPerStep, int batchSize, ICollective? collective = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var microBatches = (int)Math.Max(1, sequencesPerStep / ((long)batchSize * (collective?.WorldSize ?? 1)));
        return Choose(shape, trainingTokens, budget, sequencesPerStep, config =>
        {
            var seconds = StepSeconds(config, batchSize, microBatches, cancellationToken);
            return collective is { WorldSize: > 1 } ? Mean(collective, seconds) : seconds;
        });
    }

    /// <summary>
    /// Chooses a preset for <paramref name="options"/>' time budget, batch and accumulation, and
    /// says what is left of the budget after the timing (<see cref="AutoPresetChoice.BudgetLeft"/>,
    /// whole seconds): the timing is part of the run.
    /// </summary>
    /// <param name="shape">The shape to train for a preset: the preset's own with the run's vocabulary, context and dropout.</param>
    /// <param name="trainingTokens">Tokens in the training split.</param>
    /// <param name="options">The run's training options; <see cref="TrainingOptions.TimeBudget"/> must be set.</param>
    /// <param name="collective">Ranks average their timings so that all choose alike; null for one process.</param>
    /// <param name="cancellationToken">Stops the timing between passes (Ctrl+C while choosing).</param>
    /// <exception cref="ArgumentException">No time budget, or the timing used all of it.</exception>
    public static AutoPresetChoice Choose(Func<GptPreset, GptConfig> shape, long trainingTokens, TrainingOptions options, ICollective? collective = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var budget = options.TimeBudget ?? throw new ArgumentException($"Choosing the model needs a time budget: set {nameof(TrainingOptions.TimeBudget)}, or name a preset.", nameof(options));
        var watch = Stopwatch.StartNew();
        var sequencesPerStep = (long)options.BatchSize * options.GradientAccumulationSteps * (collective?.WorldSize ?? 1);
        var choice = Choose(shape, trainingTokens, budget, sequencesPerStep, options.BatchSize, collective, cancellationToken);
        var left = TimeSpan.FromSeconds(Math.Floor((budget - watch.Elapsed).TotalSeconds));
        if (left <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Timing the presets took {watch.Elapsed.TotalSeconds:F0} s, all of the time budget of {budget}. Give a longer time budget, or name a preset (tiny, small, seed).", nameof(options));
        }

        return choice with { Elapsed = watch.Elapsed, BudgetLeft = left };
    }

    /// <summary>Chooses a preset from <paramref name="stepSeconds"/>, the seconds one optimizer step of a shape takes.</summary>
    /// <inheritdoc cref="Choose(Func{GptPreset, GptConfig}, long, TimeSpan, long, int, ICollective?, CancellationToken)" path="/param"/>
    public static AutoPresetChoice Choose(Func<GptPreset, GptConfig> shape, long trainingTokens, TimeSpan budget, long sequencesPerStep, Func<GptConfig, double> stepSeconds)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(stepSeconds);
        ArgumentOutOfRangeException.ThrowIfLessThan(trainingTokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(budget, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequencesPerStep, 1);
        var measured = new List<AutoPresetCandidate>();
        var (chosen, chosenConfig) = (Candidates[0], shape(Candidates[0])); // the fallback needs no timing
        foreach (var preset in Candidates.Skip(1))
        {
            var config = shape(preset);
            var seconds = stepSeconds(config);
            var steps = Math.Floor(budget.TotalSeconds * TrainingShare / seconds);
            var epochs = steps * sequencesPerStep * config.ContextLength / trainingTokens;
            measured.Add(new AutoPresetCandidate(preset, seconds, epochs));
            if (epochs < EpochsWanted)
            {
                break; // a larger preset would fit fewer passes still
            }

            (chosen, chosenConfig) = (preset, config);
        }

        return new AutoPresetChoice(chosen, chosenConfig, measured);
    }

    /// <summary>Seconds of one optimizer step's forward and backward passes for <paramref name="config"/>, the last of three (the first ones pay for first-touch allocations).</summary>
    private static double StepSeconds(GptConfig config, int batchSize, int microBatches, CancellationToken cancellationToken)
    {
        using var rng = get_rng_state();
        using var model = new GptModel(config, seed: 0);
        model.train();
        double seconds = 0;
        for (var round = 0; round < 3; round++)
        {
            var watch = Stopwatch.StartNew();
            for (var micro = 0; micro < microBatches; micro++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var tokens = randint(0, config.VocabSize, [batchSize, config.ContextLength + 1], dtype: ScalarType.Int64);
                var logits = model.forward(tokens[.., ..config.ContextLength]);
                var loss = nn.functional.cross_entropy(logits.view(-1, config.VocabSize), tokens[.., 1..].reshape(-1));
                loss.backward();
            }

            seconds = watch.Elapsed.TotalSeconds;
        }

        set_rng_state(rng);
        return seconds;
    }

    private static double Mean(ICollective collective, double value)
    {
        using var sum = tensor(new[] { value });
        collective.AllReduceSum(sum);
        return sum.item<double>() / collective.WorldSize;
    }
}
