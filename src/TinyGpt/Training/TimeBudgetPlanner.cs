namespace TinyGpt.Training;

/// <summary>
/// Chooses how many optimizer steps fit a wall-clock budget (<see cref="TrainingOptions.TimeBudget"/>)
/// from measured costs, and says when the measured speed has drifted far enough to choose again.
/// </summary>
/// <remarks>
/// A run's time is its steps plus what happens between them: periodic evaluations, checkpoints,
/// samples, and at the end the whole-split evaluation, a last checkpoint and the final model file.
/// Each cost is the mean of the measured occurrences (an estimate until the first one happened),
/// and the plan is the largest step count whose projected end is within the budget.
/// </remarks>
internal sealed class TimeBudgetPlanner
{
    // Ending late breaks the promise; ending a little early only wastes a little. A plan is kept
    // while its projected end is within 3% of the budget before, and 1.5% after, the time left
    // (the trainer plans for 98% of the budget, so a plan kept late still ends in time). Step
    // times jitter by a percent or two on a shared machine; tighter bounds re-plan on noise.
    private const double LateTolerance = 0.015;
    private const double EarlyTolerance = 0.03;

    /// <summary>Share of the budget a plan aims for: what is left covers the tolerance of keeping a plan.</summary>
    public const double PlannedShare = 0.98;

    // Steps are timed as the mean of every measured step: on a shared machine single steps jitter
    // by 10-20%, and a short window made the plan chase that noise (measured: a re-plan every few
    // steps with a 50-step window). A lasting change still moves the mean, and the projection's
    // error shrinks with the steps left, so the end stays on time.

    // Fewer measured steps than this are too noisy to re-plan on (the end of warmup plans anyway).
    private const int MinimumMeasuredSteps = 5;

    private double _stepSecondsSum;
    private double _stepEstimate;
    private readonly TrainingOptions _options;
    private readonly double _budgetSeconds;
    private double _evaluationSecondsPerToken;
    private double _periodicEvaluationSeconds;
    private int _periodicEvaluations;
    private double _checkpointSeconds;
    private int _checkpoints;
    private double _sampleSeconds;
    private int _samples;
    private double _eventSeconds;
    private int _measuredSteps;

    /// <param name="options">The run's options (intervals and the budget).</param>
    /// <param name="stepSeconds">A first estimate of one optimizer step.</param>
    /// <param name="evaluationSecondsPerToken">A first estimate of forward-only scoring, per token.</param>
    /// <param name="periodicEvaluationTokens">Tokens one periodic evaluation scores (per rank).</param>
    /// <param name="finalEvaluationTokens">Tokens the final evaluation scores (per rank); 0 without a validation split.</param>
    public TimeBudgetPlanner(TrainingOptions options, double stepSeconds, double evaluationSecondsPerToken, long periodicEvaluationTokens, long finalEvaluationTokens)
    {
        _options = options;
        _budgetSeconds = options.TimeBudget?.TotalSeconds ?? 0;
        _stepEstimate = stepSeconds;
        _evaluationSecondsPerToken = evaluationSecondsPerToken;
        PeriodicEvaluationTokens = periodicEvaluationTokens;
        FinalEvaluationTokens = finalEvaluationTokens;
    }

    public long PeriodicEvaluationTokens { get; }

    public long FinalEvaluationTokens { get; }

    /// <summary>Mean seconds per optimizer step over the measured steps (the first estimate until one was measured).</summary>
    public double StepSeconds => _measuredSteps > 0 ? _stepSecondsSum / _measuredSteps : _stepEstimate;

    /// <summary>Seconds one periodic evaluation takes: measured once one ran, estimated before.</summary>
    public double PeriodicEvaluationSeconds => _periodicEvaluations > 0 ? _periodicEvaluationSeconds / _periodicEvaluations : PeriodicEvaluationTokens * _evaluationSecondsPerToken;

    /// <summary>Seconds the final whole-split evaluation will take, at the measured scoring speed.</summary>
    public double FinalEvaluationSeconds => FinalEvaluationTokens * EvaluationSecondsPerToken;

    /// <summary>Seconds one checkpoint takes (0 until one was written).</summary>
    public double CheckpointSeconds => _checkpoints > 0 ? _checkpointSeconds / _checkpoints : 0;

    private double EvaluationSecondsPerToken => _periodicEvaluations > 0 && PeriodicEvaluationTokens > 0 ? PeriodicEvaluationSeconds / PeriodicEvaluationTokens : _evaluationSecondsPerToken;

    private double SampleSeconds => _samples > 0 ? _sampleSeconds / _samples : 0;

    public void RecordStep(double seconds)
    {
        // Measured steps replace the estimate the plan started from.
        _stepSecondsSum += seconds;
        _measuredSteps++;
    }

    public void RecordEvaluation(double seconds)
    {
        (_periodicEvaluationSeconds, _periodicEvaluations) = (_periodicEvaluationSeconds + seconds, _periodicEvaluations + 1);
        _eventSeconds += seconds;
    }

    public void RecordCheckpoint(double seconds)
    {
        (_checkpointSeconds, _checkpoints) = (_checkpointSeconds + seconds, _checkpoints + 1);
        _eventSeconds += seconds;
    }

    public void RecordSample(double seconds)
    {
        (_sampleSeconds, _samples) = (_sampleSeconds + seconds, _samples + 1);
        _eventSeconds += seconds;
    }

    /// <summary>Seconds of evaluations, checkpoints and samples recorded since the last call: what a step's iteration spent besides the step.</summary>
    public double TakeEventSeconds()
    {
        var seconds = _eventSeconds;
        _eventSeconds = 0;
        return seconds;
    }

    /// <summary>The measurements as numbers, so every rank can plan with rank 0's (see <see cref="Adopt"/>).</summary>
    public double[] Measurements() => [StepSeconds, PeriodicEvaluationSeconds, EvaluationSecondsPerToken, CheckpointSeconds, SampleSeconds, _measuredSteps];

    /// <summary>Plans from <paramref name="measurements"/> (another rank's <see cref="Measurements"/>) from now on.</summary>
    public void Adopt(double[] measurements)
    {
        _measuredSteps = (int)measurements[5];
        _stepEstimate = measurements[0];
        _stepSecondsSum = measurements[0] * _measuredSteps;
        (_periodicEvaluationSeconds, _periodicEvaluations) = (measurements[1], 1);
        _evaluationSecondsPerToken = measurements[2];
        (_checkpointSeconds, _checkpoints) = (measurements[3], measurements[3] > 0 ? 1 : 0);
        (_sampleSeconds, _samples) = (measurements[4], measurements[4] > 0 ? 1 : 0);
        if (PeriodicEvaluationTokens == 0)
        {
            (_periodicEvaluationSeconds, _periodicEvaluations) = (0, 0);
        }
    }

    /// <summary>Projected seconds from step <paramref name="step"/> to the end of a run of <paramref name="totalSteps"/> steps, its final evaluation and files included.</summary>
    public double SecondsToFinish(int step, int totalSteps)
    {
        var checkpointInterval = _options.CheckpointInterval ?? _options.EvalInterval;
        // Periodic work happens after steps step+1 .. totalSteps-1 (the last step has the final work instead).
        double Count(int interval) => interval > 0 ? ((totalSteps - 1) / interval) - (step / interval) : 0;
        var evaluations = PeriodicEvaluationTokens > 0 ? Count(_options.EvalInterval) : 0;
        return ((totalSteps - step) * StepSeconds)
            + (evaluations * PeriodicEvaluationSeconds)
            + (Count(checkpointInterval) * CheckpointSeconds)
            + (Count(_options.SampleInterval) * SampleSeconds)
            + FinalEvaluationSeconds
            // The last checkpoint and the final model file are about the same size.
            + (2 * CheckpointSeconds);
    }

    /// <summary>The most steps whose projected end is within <paramref name="secondsLeft"/> from step <paramref name="step"/>; at least <paramref name="step"/> + 1.</summary>
    public int Plan(int step, double secondsLeft)
    {
        var low = step + 1;
        var high = (int)Math.Clamp(step + 1 + (secondsLeft / Math.Max(StepSeconds, 1e-6)), low, int.MaxValue - 1);
        if (SecondsToFinish(step, low) > secondsLeft)
        {
            return low;
        }

        // The projection grows with the step count: the largest count that fits, by bisection.
        while (low < high)
        {
            var middle = low + ((high - low + 1) / 2);
            if (SecondsToFinish(step, middle) <= secondsLeft)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }

        return low;
    }

    /// <summary>Whether the plan of <paramref name="totalSteps"/> would end too late or too early for <paramref name="secondsLeft"/>.</summary>
    public bool HasDrifted(int step, int totalSteps, double secondsLeft)
    {
        if (_measuredSteps < MinimumMeasuredSteps)
        {
            return false;
        }

        var projected = SecondsToFinish(step, totalSteps);
        var outside = projected > secondsLeft + (LateTolerance * _budgetSeconds) || projected < secondsLeft - (EarlyTolerance * _budgetSeconds);
        return outside && Plan(step, secondsLeft) != totalSteps;
    }
}
