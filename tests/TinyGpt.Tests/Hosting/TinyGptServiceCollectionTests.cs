using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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
        var services = new ServiceCollection().AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance).AddTinyGpt(o => o.RunDirectory = run.RunDirectory);
        using var provider = services.BuildServiceProvider();

        var generator = provider.GetRequiredService<TextGenerator>();

        provider.GetRequiredService<TextGenerator>().Should().BeSameAs(generator);
        var expected = await run.Pipeline.GenerateAsync("a small model", Greedy);
        generator.Generate("a small model", Greedy).Should().Be(expected);
    }

    [Fact]
    public async Task Concurrent_requests_take_turns_and_give_the_same_greedy_text()
    {
        using var provider = new ServiceCollection().AddTinyGpt(o => o.RunDirectory = run.RunDirectory).BuildServiceProvider();
        var generator = provider.GetRequiredService<TextGenerator>();
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => generator.GenerateAsync("the quick", Greedy)));
        results.Distinct().Should().ContainSingle();
    }

    [Fact]
    public void The_model_is_loaded_when_first_resolved_not_when_registered()
    {
        using var folder = new TempDirectory();
        using var provider = new ServiceCollection().AddTinyGpt(o => o.RunDirectory = folder.Path).BuildServiceProvider();
        FluentActions.Invoking(provider.GetRequiredService<TextGenerator>).Should().Throw<FileNotFoundException>();
    }

    [Fact]
    public void Missing_options_fail_with_every_problem_listed()
    {
        using var provider = new ServiceCollection().AddTinyGpt(o => o.Device = " ").BuildServiceProvider();
        var error = FluentActions.Invoking(provider.GetRequiredService<TextGenerator>).Should().Throw<OptionsValidationException>().Which;
        error.Failures.Should().HaveCount(2);
    }

    [Fact]
    public void Options_bind_from_configuration()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["TinyGpt:RunDirectory"] = run.RunDirectory, ["TinyGpt:Device"] = "cpu" })
            .Build();
        var services = new ServiceCollection();
        services.Configure<TinyGptOptions>(configuration.GetSection(TinyGptOptions.SectionName));
        services.AddTinyGpt();
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<TinyGptOptions>>().Value;

        options.RunDirectory.Should().Be(run.RunDirectory);
        options.Device.Should().Be("cpu");
        provider.GetRequiredService<TextGenerator>().Generate("every", Greedy).Should().NotBeNull();
    }
}
