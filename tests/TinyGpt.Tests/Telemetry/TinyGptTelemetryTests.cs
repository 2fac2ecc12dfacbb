using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using TinyGpt.Generation;
using TinyGpt.Telemetry;
using TinyGpt.Tests.Data;
using TinyGpt.Tests.Hosting;

namespace TinyGpt.Tests.Telemetry;

/// <summary>
/// What an OpenTelemetry exporter would receive, heard with the BCL's own listeners. The meter and
/// source are process-wide and other tests train at the same time, so only what happens under this
/// test's own root activity (its trace id flows into the trainer and generator) is counted.
/// </summary>
[Collection(TrainingCollection.Name)]
public sealed class TinyGptTelemetryTests : IClassFixture<TrainedRunFixture>, IDisposable
{
    private static readonly ActivitySource TestSource = new("TinyGpt.Tests.Telemetry");
    private readonly ConcurrentQueue<Activity> _activities = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly ActivityListener _activityListener;
    private readonly MeterListener _meterListener = new();
    private readonly TrainedRunFixture _run;
    private ActivityTraceId _trace;

    public TinyGptTelemetryTests(TrainedRunFixture run)
    {
        _run = run;
        _activityListener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is TinyGptTelemetry.ActivitySourceName or "TinyGpt.Tests.Telemetry",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.TraceId == _trace && a.Source.Name == TinyGptTelemetry.ActivitySourceName)
                {
                    _activities.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(_activityListener);
        _meterListener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == TinyGptTelemetry.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meterListener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _meterListener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _meterListener.Start();
    }

    public void Dispose()
    {
        _meterListener.Dispose();
        _activityListener.Dispose();
    }

    [Fact]
    public async Task Training_reports_tokens_step_times_losses_and_one_activity_per_step()
    {
        using var folder = new TempDirectory();
        using var pipeline = TrainedRunFixture.Builder(Path.Combine(folder.Path, "run")).WithTraining(t => (t.MaxSteps, t.LogInterval) = (3, 1)).Build();
        using (var root = StartRoot())
        {
            await pipeline.TrainAsync();
        }

        var steps = _activities.Where(a => a.OperationName == "tinygpt.train.step").ToList();
        steps.Select(a => a.GetTagItem("tinygpt.step")).Should().Equal(1, 2, 3);
        steps.Should().OnlyContain(a => (double)a.GetTagItem("tinygpt.loss")! > 0);
        var tokensPerStep = 8 * 32;
        Values("tinygpt.training.tokens").Sum().Should().Be(3 * tokensPerStep);
        Values("tinygpt.training.step.duration").Should().HaveCount(3).And.OnlyContain(s => s > 0);
        Values("tinygpt.training.loss").Should().Equal(steps.Select(a => (double)a.GetTagItem("tinygpt.loss")!));
        Values("tinygpt.training.learning_rate").Should().HaveCount(3);
        _measurements.Where(m => m.Instrument == "tinygpt.evaluation.loss").Should().ContainSingle("the final evaluation")
            .Which.Tags["tinygpt.evaluation.partial"].Should().Be(false);
    }

    [Fact]
    public async Task Generation_reports_its_tokens_latency_and_finish_reason()
    {
        var generator = await _run.Pipeline.GetGeneratorAsync();
        string text;
        using (var root = StartRoot())
        {
            text = await generator.GenerateAsync("the quick", new GenerationOptions { MaxNewTokens = 5, StopAtEndOfText = false, Sampling = SamplingOptions.Greedy });
        }

        text.Should().NotBeEmpty();
        var activity = _activities.Should().ContainSingle(a => a.OperationName == "tinygpt.generate").Subject;
        activity.GetTagItem("tinygpt.generation.tokens").Should().Be(5);
        activity.GetTagItem("tinygpt.generation.prompt_tokens").Should().Be(generator.Tokenizer.Encode("the quick").Length);
        activity.GetTagItem("tinygpt.generation.finish_reason").Should().Be("MaxNewTokens");
        Values("tinygpt.generation.tokens").Should().Equal(5);
        Values("tinygpt.generation.time_to_first_token").Should().ContainSingle().Which.Should().BeGreaterThan(0);
        var duration = _measurements.Should().ContainSingle(m => m.Instrument == "tinygpt.generation.duration").Subject;
        duration.Tags["tinygpt.generation.finish_reason"].Should().Be("MaxNewTokens");
        duration.Value.Should().BeGreaterThanOrEqualTo(Values("tinygpt.generation.time_to_first_token").Single());
    }

    private Activity StartRoot()
    {
        var root = TestSource.StartActivity("test root")!;
        _trace = root.TraceId;
        return root;
    }

    private List<double> Values(string instrument) => [.. _measurements.Where(m => m.Instrument == instrument).Select(m => m.Value)];

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (Activity.Current?.TraceId == _trace && _trace != default)
        {
            _measurements.Enqueue((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
        }
    }
}
