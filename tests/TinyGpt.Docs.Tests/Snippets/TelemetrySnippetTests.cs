using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using TinyGpt.Telemetry;

namespace TinyGpt.Docs.Tests.Snippets;

/// <summary>docs/training.md, "OpenTelemetry": the real OpenTelemetry SDK, exporting to memory.</summary>
[Collection(DemoRunCollection.Name)]
public sealed class TelemetrySnippetTests(DemoRunFixture demo)
{
    [Fact]
    public async Task OpenTelemetry_collects_the_generation_metrics_and_activities_with_no_other_code()
    {
        using var scope = demo.Workspace.Enter();
        var metrics = new List<Metric>();
        var spans = new List<Activity>();
        var builder = Host.CreateApplicationBuilder();

        #region docs/training.md#opentelemetry
        builder.Services.AddOpenTelemetry()
            .WithMetrics(m => m.AddMeter(TinyGptTelemetry.MeterName).AddInMemoryExporter(metrics))        // or .AddOtlpExporter()
            .WithTracing(t => t.AddSource(TinyGptTelemetry.ActivitySourceName).AddInMemoryExporter(spans));
        #endregion

        builder.Services.AddTinyGpt(o => o.RunDirectory = "runs/demo");
        using var host = builder.Build();
        await host.StartAsync();
        var reply = await host.Services.GetRequiredService<IChatClient>().GetResponseAsync("the quick brown", new ChatOptions { Temperature = 0, MaxOutputTokens = 6 });
        host.Services.GetRequiredService<MeterProvider>().ForceFlush();
        host.Services.GetRequiredService<TracerProvider>().ForceFlush();
        await host.StopAsync();

        spans.Should().Contain(s => s.OperationName == "tinygpt.generate" && Equals(s.GetTagItem("tinygpt.generation.tokens"), (int)reply.Usage!.OutputTokenCount!));
        var tokens = metrics.Should().Contain(m => m.Name == "tinygpt.generation.tokens").Subject;
        long total = 0;
        foreach (ref readonly var point in tokens.GetMetricPoints())
        {
            total += point.GetSumLong();
        }

        total.Should().Be(reply.Usage!.OutputTokenCount!.Value);
        metrics.Select(m => m.Name).Should().Contain(["tinygpt.generation.duration", "tinygpt.generation.time_to_first_token"]);
    }
}
