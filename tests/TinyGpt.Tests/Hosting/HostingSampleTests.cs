using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using TinyGpt.Generation;

namespace TinyGpt.Tests.Hosting;

/// <summary>Starts samples/TinyGpt.Hosting as its own process on 127.0.0.1 and talks to it over HTTP.</summary>
[Collection(TrainingCollection.Name)]
public partial class HostingSampleTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    private static string SamplePath => typeof(HostingSampleTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "HostingSamplePath").Value!;

    [Fact]
    public async Task The_sample_streams_the_greedy_completion_and_rejects_bad_options()
    {
        File.Exists(SamplePath).Should().BeTrue($"the test project builds the sample first ({SamplePath})");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { SamplePath, "--urls", "http://127.0.0.1:0", "--TinyGpt:RunDirectory", run.RunDirectory })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        try
        {
            var baseAddress = await WaitForAddressAsync(process);
            using var client = new HttpClient { BaseAddress = baseAddress };

            using var response = await client.PostAsJsonAsync("/complete", new { prompt = "the quick brown", maxNewTokens = 12, temperature = 0 });
            response.EnsureSuccessStatusCode();
            response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
            var events = new List<SseItem<string>>();
            await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
            {
                events.Add(item);
            }

            var expected = await run.Pipeline.GenerateAsync("the quick brown", new GenerationOptions { MaxNewTokens = 12, Sampling = SamplingOptions.Greedy, ContextOverflow = ContextOverflow.KeepLastTokens });
            events[..^1].Should().OnlyContain(e => e.EventType == "text");
            string.Concat(events[..^1].Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("text").GetString())).Should().Be(expected);
            events[^1].EventType.Should().Be("done");
            var done = JsonDocument.Parse(events[^1].Data).RootElement;
            done.GetProperty("finishReason").GetString().Should().BeOneOf("length", "stop");
            done.GetProperty("outputTokens").GetInt64().Should().BeInRange(1, 12);

            using var bad = await client.PostAsJsonAsync("/complete", new { prompt = "x", maxNewTokens = 0, stop = new[] { string.Empty } });
            ((int)bad.StatusCode).Should().Be(400);
            bad.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
            var problem = JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement;
            problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo("maxNewTokens", "stop");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static async Task<Uri> WaitForAddressAsync(Process process)
    {
        // A generous guard against a sample that never starts, not a timing assertion.
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var seen = new List<string>();
        while (await process.StandardOutput.ReadLineAsync(cts.Token) is { } line)
        {
            seen.Add(line);
            if (ListeningOn().Match(line) is { Success: true } match)
            {
                // Keep draining the logs so the server never blocks on a full pipe.
                _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
                return new Uri(match.Groups[1].Value);
            }
        }

        throw new InvalidOperationException("The hosting sample exited before listening. Output:\n" + string.Join("\n", seen) + "\n" + await process.StandardError.ReadToEndAsync(cts.Token));
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningOn();
}
