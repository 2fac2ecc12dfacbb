using TinyGpt.Checkpoints;
using TinyGpt.Generation;
using TinyGpt.Modeling;
using TinyGpt.Tokenization;

namespace TinyGpt.Docs.Tests.Snippets;

/// <summary>docs/generation.md: sampling and streaming, and loading a trained model.</summary>
[Collection(DemoRunCollection.Name)]
public sealed class GenerationSnippetTests(DemoRunFixture demo)
{
    [Fact]
    public async Task Seeded_sampling_gives_the_same_text_whole_and_streamed()
    {
        var tokenizer = TextTokenizers.Gpt2();
        using var model = new GptModel(GptConfig.Tiny with { VocabSize = tokenizer.VocabSize, ContextLength = 128, EmbeddingSize = 32, LayerCount = 1, HeadCount = 2 }, seed: 7);
        var cancellationToken = CancellationToken.None;
        using var console = new ConsoleCapture();

        #region docs/generation.md#text-generator
        var generator = new TextGenerator(model, tokenizer);
        var options = new GenerationOptions
        {
            MaxNewTokens = 100,
            Sampling = new SamplingOptions { Temperature = 0.8, TopK = 40, TopP = 0.95, RepetitionPenalty = 1.1, Seed = 42 },
        };
        string text = generator.Generate(" The castle", options);

        await foreach (var piece in generator.GenerateStreamingAsync(" The castle", options, cancellationToken))
        {
            Console.Write(piece);
        }
        #endregion

        text.Should().NotBeEmpty();
        console.Text.Should().Be(text);
        generator.Generate(" The castle", options with { Sampling = options.Sampling with { Seed = 43 } }).Should().NotBe(text, "another seed draws other tokens");
    }

    [Fact]
    public async Task A_batch_gives_each_prompt_the_text_it_gets_alone()
    {
        var tokenizer = TextTokenizers.Gpt2();
        using var model = new GptModel(GptConfig.Tiny with { VocabSize = tokenizer.VocabSize, ContextLength = 128, EmbeddingSize = 32, LayerCount = 1, HeadCount = 2 }, seed: 8);
        var generator = new TextGenerator(model, tokenizer);

        #region docs/generation.md#batch
        var texts = await generator.GenerateBatchAsync(
            ["The game was", "In 1998 ,", "= = History = ="],
            [.. Enumerable.Range(0, 3).Select(i => new GenerationOptions { MaxNewTokens = 40, Sampling = new() { Temperature = 0.8, TopK = 40, Seed = i } })]);
        #endregion

        texts.Should().HaveCount(3);
        for (var i = 0; i < 3; i++)
        {
            var options = new GenerationOptions { MaxNewTokens = 40, Sampling = new() { Temperature = 0.8, TopK = 40, Seed = i } };
            texts[i].Should().Be(generator.Generate(new[] { "The game was", "In 1998 ,", "= = History = =" }[i], options));
        }
    }

    [Fact]
    public void A_generator_that_keeps_its_copies_sees_weights_changed_between_generations()
    {
        var tokenizer = TextTokenizers.Gpt2();
        using var model = new GptModel(GptConfig.Tiny with { VocabSize = tokenizer.VocabSize, ContextLength = 32, EmbeddingSize = 32, LayerCount = 1, HeadCount = 2 }, seed: 9);

        #region docs/generation.md#idle-timeout
        var tokens = new TokenGenerator(model) { IdleTimeout = TimeSpan.FromMinutes(1) };
        var text = new TextGenerator(tokens, tokenizer); // the same generator, for text
        #endregion

        text.Tokens.Should().BeSameAs(tokens);
        var generator = tokens;
        var greedy = new GenerationOptions { MaxNewTokens = 10, Sampling = SamplingOptions.Greedy };
        var before = generator.Generate([1, 2, 3], greedy);
        using (var noGrad = TorchSharp.torch.no_grad())
        {
            foreach (var parameter in model.parameters())
            {
                parameter.neg_();
            }
        }

        var after = generator.Generate([1, 2, 3], greedy);
        after.Should().Equal(new TokenGenerator(model).Generate([1, 2, 3], greedy)).And.NotEqual(before);
    }

    [Fact]
    public void The_final_model_the_last_checkpoint_and_the_tokenizer_load_from_the_run_folder()
    {
        using var scope = demo.Workspace.Enter();

        #region docs/generation.md#loading
        using var model = ModelFile.Load("runs/demo/model.safetensors");                  // final weights
        using var fromCheckpoint = CheckpointStore.LoadModel("runs/demo/checkpoints/step-00000060.safetensors");
        var tokenizer = TextTokenizers.Load("runs/demo/tokenizer");
        #endregion

        model.Config.Should().Be(fromCheckpoint.Config);
        model.Config.VocabSize.Should().Be(tokenizer.VocabSize);
        var final = fromCheckpoint.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (name, parameter) in model.NamedParameters())
        {
            parameter.data<float>().ToArray().Should().Equal(final[name].data<float>().ToArray(), $"{name}: the last checkpoint holds the final weights");
        }

        var greedy = new GenerationOptions { MaxNewTokens = 12, Sampling = SamplingOptions.Greedy };
        new TextGenerator(model, tokenizer).Generate("the quick brown", greedy)
            .Should().Be(LoadDemo().Generate("the quick brown", greedy));
    }

    private static TinyGpt.Generation.TextGenerator LoadDemo()
    {
        using var run = TinyGpt.Runs.RunFolder.Open("runs/demo");
        return run.LoadGenerator();
    }
}
