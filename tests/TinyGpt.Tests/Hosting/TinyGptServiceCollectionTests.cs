using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TinyGpt.Generation;
using TinyGpt.Hosting;
using TinyGpt.Tests.Data;

namespace TinyGpt.Tests.Hosting;

[Collection(TrainingCollection.Name)]
public class TinyGptServiceCollectionTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    private static readonly GenerationOptions Greedy = new() { MaxNewTokens = 10, Sampling = SamplingOptions.Greedy, ContextOverflow = ContextOverflow.KeepLastTokens };

    [Fact]
    public async Task AddTinyGpt_registers_one_generator_loaded_from_the_run_folder()
    {
        var services = new ServiceCollection().AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddTinyGpt(o => o.RunDirectory = run.RunDirectory);
        using var provider = services.BuildServiceProvider();

        var generator = provider.GetRequiredService<TextGenerator>();

        provider.GetRequiredService<TextGenerator>().Should().BeSameAs(generator);
        var expected = await run.Pipeline.GenerateAsync("a small model", Greedy);
        generator.Generate("a small model", Greedy).Should().Be(expected);
    }

    [Fact]
    public async Task Concurrent_chat_requests_are_decoded_together_and_each_gets_its_lone_text()
    {
        using var provider = Provider(o => o.RunDirectory = run.RunDirectory);
        var generator = provider.GetRequiredService<TextGenerator>();
        var chat = provider.GetRequiredService<IChatClient>();
        string[] prompts = ["the quick", "every line", "a small model", "the"];
        var chatOptions = new ChatOptions { MaxOutputTokens = 24, Temperature = 0 };
        var alone = new List<string>();
        foreach (var prompt in prompts)
        {
            alone.Add((await chat.GetResponseAsync(prompt, chatOptions)).Text);
        }

        // Started back to back on this thread: each call queues its request before it first waits.
        var together = await Task.WhenAll(prompts.Select(p => chat.GetResponseAsync(p, chatOptions)));

        together.Select(r => r.Text).Should().Equal(alone);
        generator.Tokens.Batcher.LargestBatch.Should().BeGreaterThan(1, "requests that overlap share decoding steps");
    }

    [Fact]
    public void The_model_is_loaded_when_first_resolved_not_when_registered()
    {
        using var folder = new TempDirectory();
        using var provider = Provider(o => o.RunDirectory = folder.Path);
        FluentActions.Invoking(provider.GetRequiredService<TextGenerator>).Should().Throw<FileNotFoundException>();
    }

    [Fact]
    public void Missing_options_fail_with_every_problem_listed()
    {
        using var provider = Provider(o => o.Device = " ");
        var error = FluentActions.Invoking(provider.GetRequiredService<TextGenerator>).Should().Throw<OptionsValidationException>().Which;
        error.Failures.Should().HaveCount(2);
    }

    [Fact]
    public void Options_bind_from_configuration()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["TinyGpt:RunDirectory"] = run.RunDirectory, ["TinyGpt:Device"] = "cpu", ["TinyGpt:ModelId"] = "wiki", ["TinyGpt:LoadOnStart"] = "false" })
            .Build();
        var services = new ServiceCollection();
        services.AddTinyGpt(configuration.GetSection(TinyGptOptions.SectionName));
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<TinyGptOptions>>().Value;

        options.RunDirectory.Should().Be(run.RunDirectory);
        options.Device.Should().Be("cpu");
        options.LoadOnStart.Should().BeFalse();
        provider.GetRequiredService<TextGenerator>().Generate("every", Greedy).Should().NotBeNull();
        provider.GetRequiredService<IChatClient>().GetService<ChatClientMetadata>()!.DefaultModelId.Should().Be("wiki");
    }

    [Fact]
    public async Task A_host_refuses_to_start_with_invalid_options()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddTinyGpt(o => o.Device = string.Empty);
        using var host = builder.Build();

        var error = (await FluentActions.Awaiting(() => host.StartAsync()).Should().ThrowAsync<OptionsValidationException>()).Which;

        error.Failures.Should().HaveCount(2);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_host_loads_the_model_while_it_starts_unless_told_to_wait_for_the_first_request(bool loadOnStart)
    {
        using var notARun = new TempDirectory();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddTinyGpt(o => (o.RunDirectory, o.LoadOnStart) = (notARun.Path, loadOnStart));
        using var host = builder.Build();

        var start = FluentActions.Awaiting(() => host.StartAsync());

        if (loadOnStart)
        {
            await start.Should().ThrowAsync<FileNotFoundException>("the broken run folder is found at start, not at the first request");
        }
        else
        {
            await start.Should().NotThrowAsync();
            FluentActions.Invoking(host.Services.GetRequiredService<TextGenerator>).Should().Throw<FileNotFoundException>();
            await host.StopAsync();
        }
    }

    private static ServiceProvider Provider(Action<TinyGptOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddTinyGpt(configure);
        return services.BuildServiceProvider();
    }
}
