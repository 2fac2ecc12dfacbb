#region docs/hosting.md#builder
using TinyGpt.Generation;
using TinyGpt.Hosting;
using TinyGpt.Modeling;
using TinyGpt.Training;
#endregion

namespace TinyGpt.Docs.Tests.Snippets;

/// <summary>
/// docs/hosting.md, "GptBuilder": trains <c>runs/demo</c> in the current directory.
/// <see cref="DemoRunFixture"/> runs it once; HostingSnippetTests checks what it returned and the
/// other hosting and generation tests load the folder it wrote.
/// </summary>
public static class HostingBuilderSnippet
{
    /// <summary>Runs the snippet; the streamed completion goes to the console.</summary>
    public static async Task<(TrainingResult Result, EvaluationResult Validation, string Completion)> RunAsync(
        string text, Microsoft.Extensions.Logging.ILogger logger, IProgress<TrainingProgress> progress, CancellationToken cancellationToken)
    {
        #region docs/hosting.md#builder
        using var pipeline = new GptBuilder()
            .WithCorpus(CorpusSource.Text(text))              // or WikiText(), WikiTextFolder(dir), TextFiles([...])
            .WithTokenizer(TokenizerSource.Bpe(vocabSize: 300)) // or TokenizerSource.Gpt2
            .WithModel(GptConfig.Tiny with { ContextLength = 32, EmbeddingSize = 32, LayerCount = 2, HeadCount = 2 }) // or .WithModel(GptPreset.Tiny)
            .WithTraining(t => { t.MaxSteps = 60; t.BatchSize = 8; t.LearningRate = 3e-3; })
            .WithRunDirectory("runs/demo")
            .WithLogger(logger)                                // optional
            .Build();

        TrainingResult result = await pipeline.TrainAsync(progress, cancellationToken);
        EvaluationResult valid = await pipeline.EvaluateAsync("valid");
        var options = new GenerationOptions { MaxNewTokens = 12 };  // the prompt and the new tokens must fit the context (32)
        string completion = await pipeline.GenerateAsync("the quick brown", options);
        await foreach (var piece in pipeline.GenerateStreamingAsync("the quick brown", options)) Console.Write(piece);
        #endregion

        return (result, valid, completion);
    }
}
