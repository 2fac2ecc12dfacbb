using TinyGpt.Hosting;
using TinyGpt.Modeling;
using TinyGpt.Tests.Data;
using TinyGpt.Training;

namespace TinyGpt.Tests.Hosting;

/// <summary>One tiny run, prepared from in-memory text and trained once, shared by the hosting tests.</summary>
public sealed class TrainedRunFixture : IAsyncLifetime, IDisposable
{
    public static readonly string[] Sentences =
    [
        "the quick brown fox jumps over the lazy dog.",
        "a small model learns to repeat what it reads.",
        "every line of this corpus is seen many times.",
    ];

    private readonly TempDirectory _folder = new();

    public string RunDirectory => Path.Combine(_folder.Path, "run");

    public GptPipeline Pipeline { get; private set; } = null!;

    public TrainingResult Result { get; private set; } = null!;

    public static string Corpus => string.Concat(Enumerable.Repeat(string.Join("\n", Sentences) + "\n", 40));

    public static GptBuilder Builder(string runDirectory) => new GptBuilder()
        .WithCorpus(CorpusSource.Text(Corpus))
        .WithTokenizer(TokenizerSource.Bpe(vocabSize: 300))
        .WithModel(GptConfig.Tiny with { ContextLength = 32, EmbeddingSize = 32, LayerCount = 2, HeadCount = 2 })
        .WithTraining(t =>
        {
            t.MaxSteps = 60;
            t.BatchSize = 8;
            t.LearningRate = 3e-3;
            t.WarmupSteps = 5;
            t.EvalInterval = 0;
            t.CheckpointInterval = 0;
            t.LogInterval = 10;
            t.BatchOrder = TinyGpt.Tokens.BatchOrder.RandomOffsets;
        })
        .WithRunDirectory(runDirectory)
        .WithSeed(3);

    public async Task InitializeAsync()
    {
        Pipeline = Builder(RunDirectory).Build();
        Result = await Pipeline.TrainAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        Pipeline?.Dispose();
        _folder.Dispose();
    }
}
