using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace TinyGpt.Telemetry;

/// <summary>
/// The names under which TinyGpt reports to <c>System.Diagnostics</c>, so that OpenTelemetry (or
/// <c>dotnet-counters</c>) picks training and generation up with
/// <c>.AddMeter(TinyGptTelemetry.MeterName)</c> and <c>.AddSource(TinyGptTelemetry.ActivitySourceName)</c>
/// and no other code. Nothing is measured until something listens.
/// </summary>
/// <remarks>
/// <para>Instruments of the <c>TinyGpt</c> meter:</para>
/// <list type="table">
/// <item><term><c>tinygpt.training.tokens</c></term><description>counter, <c>{token}</c>: tokens trained on (all ranks' tokens, counted on each rank's own meter: use rank 0's).</description></item>
/// <item><term><c>tinygpt.training.step.duration</c></term><description>histogram, <c>s</c>: time of one optimizer step.</description></item>
/// <item><term><c>tinygpt.training.loss</c></term><description>gauge: training loss of the latest step.</description></item>
/// <item><term><c>tinygpt.training.learning_rate</c></term><description>gauge: learning rate of the latest step.</description></item>
/// <item><term><c>tinygpt.evaluation.loss</c></term><description>gauge: loss of the latest evaluation (tag <c>tinygpt.evaluation.partial</c>).</description></item>
/// <item><term><c>tinygpt.generation.tokens</c></term><description>counter, <c>{token}</c>: tokens generated.</description></item>
/// <item><term><c>tinygpt.generation.duration</c></term><description>histogram, <c>s</c>: time of one whole generation (tag <c>tinygpt.generation.finish_reason</c>).</description></item>
/// <item><term><c>tinygpt.generation.time_to_first_token</c></term><description>histogram, <c>s</c>: from the call to the first generated token.</description></item>
/// </list>
/// <para>Activities of the <c>TinyGpt</c> source: <c>tinygpt.train.step</c> (tags <c>tinygpt.step</c>,
/// <c>tinygpt.loss</c>, <c>tinygpt.learning_rate</c>) and <c>tinygpt.generate</c> (tags
/// <c>tinygpt.generation.prompt_tokens</c>, <c>tinygpt.generation.tokens</c>,
/// <c>tinygpt.generation.finish_reason</c>).</para>
/// </remarks>
public static class TinyGptTelemetry
{
    /// <summary>The meter's name: <c>TinyGpt</c>.</summary>
    public const string MeterName = "TinyGpt";

    /// <summary>The activity source's name: <c>TinyGpt</c>.</summary>
    public const string ActivitySourceName = "TinyGpt";

    private static readonly string? Version = typeof(TinyGptTelemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    internal static readonly ActivitySource Source = new(ActivitySourceName, Version);

    internal static readonly Meter Meter = new(MeterName, Version);

    internal static readonly Counter<long> TrainingTokens = Meter.CreateCounter<long>("tinygpt.training.tokens", "{token}", "Tokens trained on.");

    internal static readonly Histogram<double> TrainingStepDuration = Meter.CreateHistogram<double>("tinygpt.training.step.duration", "s", "Time of one optimizer step.");

    internal static readonly Gauge<double> TrainingLoss = Meter.CreateGauge<double>("tinygpt.training.loss", null, "Training loss of the latest step.");

    internal static readonly Gauge<double> LearningRate = Meter.CreateGauge<double>("tinygpt.training.learning_rate", null, "Learning rate of the latest step.");

    internal static readonly Gauge<double> EvaluationLoss = Meter.CreateGauge<double>("tinygpt.evaluation.loss", null, "Loss of the latest evaluation.");

    internal static readonly Counter<long> GeneratedTokens = Meter.CreateCounter<long>("tinygpt.generation.tokens", "{token}", "Tokens generated.");

    internal static readonly Histogram<double> GenerationDuration = Meter.CreateHistogram<double>("tinygpt.generation.duration", "s", "Time of one whole generation.");

    internal static readonly Histogram<double> TimeToFirstToken = Meter.CreateHistogram<double>("tinygpt.generation.time_to_first_token", "s", "Time from the call to the first generated token.");
}
