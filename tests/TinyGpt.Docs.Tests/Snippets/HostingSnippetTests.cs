using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TinyGpt.Checkpoints;
using TinyGpt.Generation;
using TinyGpt.Hosting;
using TinyGpt.Modeling;
using TinyGpt.Runs;
using TinyGpt.Training;

namespace TinyGpt.Docs.Tests.Snippets;

/// <summary>docs/hosting.md: the builder's results, resuming, loading a run, dependency injection and configuration.</summary>
[Collection(DemoRunCollection.Name)]
public sealed class HostingSnippetTests(DemoRunFixture demo)
{
    [Fact]
    public void The_builder_trains_evaluates_and_generates_into_runs_demo()
    {
        demo.Result.Steps.Should().Be(60);
        demo.ReportedSteps.Should().Equal(1, 10, 20, 30, 40, 50, 60);
        demo.Validation.Loss.Should().BeLessThan(Math.Log(300) / 2, "a tiny model learns three repeated sentences in 60 steps");
        demo.Completion.Should().NotBeEmpty();
        demo.Streamed.Should().NotBeEmpty();
        File.Exists(demo.Workspace.File("runs/demo/model.safetensors")).Should().BeTrue();
        File.Exists(demo.Workspace.File("runs/demo/corpus/text.txt")).Should().BeTrue();
    }

    [Fact]
    public async Task A_cancelled_run_resumes_from_its_checkpoint_to_the_last_step()
    {
        using var workspace = new DocsWorkspace();
        using var scope = workspace.Enter();
        var text = DemoRunFixture.Corpus;
        using var stop = new CancellationTokenSource();
        var cancellationToken = stop.Token;
        var steps = new List<int>();
        var progress = new ProgressRecorder<TrainingProgress>(p =>
        {
            steps.Add(p.Step);
            if (p.Step == 20)
            {
                stop.Cancel();
            }
        });

        #region docs/hosting.md#resume
        GptBuilder Configure() => new GptBuilder()
            .WithCorpus(CorpusSource.Text(text))
            .WithTokenizer(TokenizerSource.Bpe(vocabSize: 300))
            .WithModel(GptConfig.Tiny with { ContextLength = 32, EmbeddingSize = 32, LayerCount = 2, HeadCount = 2 })
            .WithTraining(t => { t.MaxSteps = 60; t.BatchSize = 8; t.LearningRate = 3e-3; })
            .WithRunDirectory("runs/demo");

        using (var first = Configure().Build())
        {
            try
            {
                await first.TrainAsync(progress, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Stopped: a checkpoint of the last finished step is in runs/demo/checkpoints.
            }
        }

        using var pipeline = Configure().ResumeFromLatestCheckpoint().Build();   // same configuration and folder
        TrainingResult result = await pipeline.TrainAsync(progress);             // continues from that checkpoint
        #endregion

        result.Steps.Should().Be(60);
        steps.Should().Equal([1, 10, 20, 30, 40, 50, 60], "the second run starts at step 21, where the first one stopped");
    }

    [Fact]
    public void The_one_call_loader_generates_with_the_runs_model_and_tokenizer()
    {
        using var scope = demo.Workspace.Enter();

        #region docs/hosting.md#load-run
        using var run = RunFolder.Open("runs/demo");        // prepared and trained
        TextGenerator generator = run.LoadGenerator();      // its newest model; device: "cpu" (default), "cuda", "cuda:1"
        string text = generator.Generate("the quick brown", new GenerationOptions { MaxNewTokens = 12, Sampling = SamplingOptions.Greedy });
        #endregion

        text.Should().NotBeEmpty();
        using var model = ModelFile.Load("runs/demo/model.safetensors");
        var tokenizer = TinyGpt.Tokenization.TextTokenizers.Load("runs/demo/tokenizer");
        new TextGenerator(model, tokenizer).Generate("the quick brown", new GenerationOptions { MaxNewTokens = 12, Sampling = SamplingOptions.Greedy })
            .Should().Be(text);
    }

    [Fact]
    public async Task The_web_app_serves_completions_from_the_registered_generator()
    {
        using var scope = demo.Workspace.Enter();
        string[] args = ["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Warning", "--TinyGpt:RunDirectory", "runs/demo"];

        #region docs/hosting.md#dependency-injection
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddTinyGpt(builder.Configuration.GetSection("TinyGpt"))   // TinyGptOptions: RunDirectory, Device, ...
            .UseLogging()                                                         // Microsoft.Extensions.AI middleware
            .UseOpenTelemetry();
        var app = builder.Build();
        app.MapPost("/complete", async (CompletionRequest request, IChatClient client, CancellationToken cancellationToken) =>
            (await client.GetResponseAsync(request.Prompt, new ChatOptions { MaxOutputTokens = request.MaxNewTokens }, cancellationToken)).Text);
        #endregion

        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
            using var response = await http.PostAsJsonAsync("/complete", new { prompt = "the quick brown", maxNewTokens = 8 });
            var body = await response.Content.ReadAsStringAsync();

            response.IsSuccessStatusCode.Should().BeTrue(body);
            response.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
            body.Should().NotBeEmpty();
            app.Services.GetRequiredService<TextGenerator>().Should().BeSameAs(app.Services.GetRequiredService<IChatClient>().GetService<TextGenerator>(), "the generator is a singleton under the chat client");
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Fact]
    public void Options_bind_from_configuration_in_both_forms()
    {
        using var scope = demo.Workspace.Enter();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["TinyGpt:RunDirectory"] = "runs/demo", ["TinyGpt:Device"] = "cpu" })
            .Build();
        var services = new ServiceCollection();

        #region docs/hosting.md#configuration
        services.AddTinyGpt(configuration.GetSection(TinyGptOptions.SectionName));
        // or
        services.Configure<TinyGptOptions>(configuration.GetSection(TinyGptOptions.SectionName));
        services.AddTinyGpt();
        #endregion

        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<TinyGptOptions>>().Value;
        options.RunDirectory.Should().Be("runs/demo");
        options.Device.Should().Be("cpu");
        provider.GetRequiredService<TextGenerator>().Generate("every line", new GenerationOptions { MaxNewTokens = 4 }).Should().NotBeNull();
    }
}
