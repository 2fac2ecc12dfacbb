using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TinyGpt.Tests.Hosting;

namespace TinyGpt.Tests.Chat;

/// <summary>TinyGpt under the real Microsoft.Extensions.AI middleware, registered as users do.</summary>
[Collection(TrainingCollection.Name)]
public class ChatMiddlewareTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    [Fact]
    public async Task Logging_and_OpenTelemetry_middleware_see_the_usage_and_finish_reasons()
    {
        var source = $"TinyGpt.Tests.{Guid.NewGuid():N}";
        var activities = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection().AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        services.AddTinyGpt(o => o.RunDirectory = run.RunDirectory)
            .UseLogging()
            .UseOpenTelemetry(sourceName: source);
        using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IChatClient>();

        var limited = await client.GetResponseAsync("the quick", new ChatOptions { Temperature = 0, MaxOutputTokens = 3 });
        var streamed = await client.GetStreamingResponseAsync("every line", new ChatOptions { Temperature = 0, MaxOutputTokens = 3 }).ToChatResponseAsync();

        limited.FinishReason.Should().Be(ChatFinishReason.Length);
        limited.Usage!.OutputTokenCount.Should().Be(3);
        streamed.FinishReason.Should().Be(ChatFinishReason.Length);
        streamed.Usage!.OutputTokenCount.Should().Be(3, "the stream's UsageContent becomes the response's usage");
        streamed.Usage.InputTokenCount.Should().BeGreaterThan(0);

        activities.Should().HaveCount(2);
        foreach (var activity in activities)
        {
            activity.GetTagItem("gen_ai.usage.output_tokens").Should().Be(3);
            activity.GetTagItem("gen_ai.usage.input_tokens").Should().BeOfType<int>().Which.Should().BeGreaterThan(0);
            activity.GetTagItem("gen_ai.response.finish_reasons").Should().Be("[\"length\"]");
            activity.GetTagItem("gen_ai.response.model").Should().Be("run");
        }

        logs.Messages.Should().Contain(m => m.Contains("GetResponseAsync", StringComparison.Ordinal))
            .And.Contain(m => m.Contains("GetStreamingResponseAsync", StringComparison.Ordinal));
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Messages { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(Messages);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> messages) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                messages.Enqueue(formatter(state, exception));
        }
    }
}
