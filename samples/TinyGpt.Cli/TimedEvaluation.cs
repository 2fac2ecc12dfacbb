using TinyGpt.Training;

namespace TinyGpt.Cli;

/// <summary>An evaluation and how long it took, for the tokens/s the CLI reports beside it.</summary>
internal sealed record TimedEvaluation(EvaluationResult Result, TimeSpan? Elapsed)
{
    public double? TokensPerSecond => Elapsed is { TotalSeconds: > 0 } e ? Result.Tokens / e.TotalSeconds : null;
}
