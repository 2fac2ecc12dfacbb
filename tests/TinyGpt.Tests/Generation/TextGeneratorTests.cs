using TinyGpt.Generation;
using TinyGpt.Tests.Hosting;

namespace TinyGpt.Tests.Generation;

[Collection(TrainingCollection.Name)]
public class TextGeneratorTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    private static readonly GenerationOptions Greedy = new() { MaxNewTokens = 16, Sampling = SamplingOptions.Greedy };

    [Fact]
    public void A_tokenizer_larger_than_the_models_vocabulary_is_refused_with_either_constructor()
    {
        var tokenizer = TinyGpt.Tokenization.TextTokenizers.Gpt2();
        using var model = new TinyGpt.Modeling.GptModel(TinyGpt.Modeling.GptConfig.Tiny with { VocabSize = 61, ContextLength = 16, EmbeddingSize = 32, LayerCount = 1, HeadCount = 2 });
        FluentActions.Invoking(() => new TextGenerator(model, tokenizer)).Should().Throw<ArgumentException>().WithMessage("*50257 tokens*only 61*");
        FluentActions.Invoking(() => new TextGenerator(new TokenGenerator(model), tokenizer)).Should().Throw<ArgumentException>().WithMessage("*50257 tokens*only 61*");
    }

    [Fact]
    public async Task Stop_strings_end_the_text_before_them_in_every_generation_method()
    {
        var generator = await run.Pipeline.GetGeneratorAsync();
        var full = generator.Generate("the quick", Greedy);
        full.Length.Should().BeGreaterThan(6);
        var stop = full.Substring(3, 2);
        var expected = full[..full.IndexOf(stop, StringComparison.Ordinal)];
        var options = Greedy with { StopStrings = ["never appears \u2603", stop] };

        generator.Generate("the quick", options).Should().Be(expected);
        (await generator.GenerateAsync("the quick", options)).Should().Be(expected);
        string.Concat(generator.GenerateStreaming("the quick", options)).Should().Be(expected);
        var updates = await generator.GenerateUpdatesAsync("the quick", options).ToListAsync();
        string.Concat(updates.Select(u => u.Text)).Should().Be(expected);
        updates[^1].FinishReason.Should().Be(GenerationFinishReason.StopString);
        updates[..^1].Should().OnlyContain(u => u.FinishReason == null);
    }

    [Fact]
    public async Task A_batch_gives_every_prompt_its_lone_text_with_its_own_stop_strings_and_seed()
    {
        var generator = await run.Pipeline.GetGeneratorAsync();
        string[] prompts = ["the quick", "every line", "", "a"];
        var options = prompts.Select((_, i) => i % 2 == 0 ? Greedy : Greedy with { Sampling = new SamplingOptions { Temperature = 1.1, Seed = 20 + i } }).ToArray();
        var alone = prompts.Select((p, i) => generator.Generate(p, options[i])).ToArray();
        var stops = alone.Select((text, i) => text.Length > 4 ? options[i] with { StopStrings = [text.Substring(2, 2)] } : options[i]).ToArray();
        var stoppedAlone = prompts.Select((p, i) => generator.Generate(p, stops[i])).ToArray();

        (await generator.GenerateBatchAsync(prompts, options)).Should().Equal(alone);
        (await generator.GenerateBatchAsync(prompts, stops)).Should().Equal(stoppedAlone);
        stoppedAlone.Zip(alone).Should().Contain(pair => pair.First.Length < pair.Second.Length, "some stop string cut its row short");
        var bad = () => generator.GenerateBatchAsync(["fine", "also fine"], [Greedy, Greedy with { StopStrings = [""] }]);
        await bad.Should().ThrowAsync<ArgumentException>().WithMessage("*StopStrings*empty*");
    }

    [Fact]
    public async Task Updates_count_prompt_and_generated_tokens_and_say_why_they_ended()
    {
        var generator = await run.Pipeline.GetGeneratorAsync();
        var prompt = generator.Tokenizer.Encode("every line");

        var updates = await generator.GenerateUpdatesAsync("every line", Greedy with { MaxNewTokens = 5 }).ToListAsync();

        updates.Should().OnlyContain(u => u.PromptTokenCount == prompt.Length);
        updates.Select(u => u.GeneratedTokenCount).Should().BeInAscendingOrder();
        updates[^1].GeneratedTokenCount.Should().Be(5);
        updates[^1].FinishReason.Should().Be(GenerationFinishReason.MaxNewTokens);
        string.Concat(updates.Select(u => u.Text)).Should().Be(generator.Generate("every line", Greedy with { MaxNewTokens = 5 }));

        var first = generator.Tokens.Generate(prompt, Greedy with { MaxNewTokens = 1 })[0];
        var stopped = await generator.GenerateUpdatesAsync("every line", Greedy with { StopTokenIds = [first] }).ToListAsync();
        stopped.Should().ContainSingle().Which.Should().Be(new TextGenerationUpdate(string.Empty, prompt.Length, 0, GenerationFinishReason.StopToken));
    }

    [Fact]
    public async Task An_empty_stop_string_is_refused_before_anything_runs()
    {
        var generator = await run.Pipeline.GetGeneratorAsync();
        FluentActions.Invoking(() => generator.Generate("x", Greedy with { StopStrings = [string.Empty] }))
            .Should().Throw<ArgumentException>().WithMessage("*StopStrings*empty*");
    }
}
