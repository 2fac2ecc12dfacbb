#region README.md#from-code
using TinyGpt.Generation;
using TinyGpt.Hosting;
using TinyGpt.Modeling;
#endregion

namespace TinyGpt.Docs.Tests.Snippets;

/// <summary>README.md, "From code": the whole program, run as written (a tiny model, 80 steps).</summary>
public sealed class ReadmeSnippetTests : IDisposable
{
    // Where the snippet puts its run folder.
    private static readonly string RunFolder = Path.Combine(AppContext.BaseDirectory, "run");

    public ReadmeSnippetTests() => DeleteRunFolder();

    public void Dispose() => DeleteRunFolder();

    [Fact]
    public async Task From_code_trains_a_tiny_model_that_continues_the_sentence()
    {
        #region README.md#from-code
        var text = string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog.\n", 60));
        using var pipeline = new GptBuilder()
            .WithCorpus(CorpusSource.Text(text))                 // or WikiText(), WikiTextFolder(dir), TextFiles([...])
            .WithTokenizer(TokenizerSource.Bpe(vocabSize: 300))    // or TokenizerSource.Gpt2
            .WithModel(GptConfig.Tiny with { ContextLength = 32, EmbeddingSize = 32, LayerCount = 2, HeadCount = 2 })
            .WithTraining(t => { t.MaxSteps = 80; t.BatchSize = 8; t.LearningRate = 3e-3; t.EvalInterval = 0; })
            .WithRunDirectory(Path.Combine(AppContext.BaseDirectory, "run"))
            .Build();
        var result = await pipeline.TrainAsync();
        var completion = await pipeline.GenerateAsync("the quick brown", new GenerationOptions { MaxNewTokens = 8, Sampling = SamplingOptions.Greedy });
        #endregion

        result.Steps.Should().Be(80);
        result.FinalLoss.Should().BeLessThan(2.0);
        completion.Should().Contain("fox");
        File.Exists(Path.Combine(RunFolder, "model.safetensors")).Should().BeTrue();
    }

    private static void DeleteRunFolder()
    {
        if (Directory.Exists(RunFolder))
        {
            Directory.Delete(RunFolder, recursive: true);
        }
    }
}
