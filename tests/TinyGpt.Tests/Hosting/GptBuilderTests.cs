using System.Text.Json;
using TinyGpt.Checkpoints;
using TinyGpt.Generation;
using TinyGpt.Hosting;
using TinyGpt.Modeling;
using TinyGpt.Runs;
using TinyGpt.Tests.Data;
using TinyGpt.Tests.Training;
using TinyGpt.Training;

namespace TinyGpt.Tests.Hosting;

[Collection(TrainingCollection.Name)]
public class GptBuilderTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    private static readonly GenerationOptions Greedy = new() { MaxNewTokens = 12, Sampling = SamplingOptions.Greedy, ContextOverflow = ContextOverflow.KeepLastTokens };

    [Fact]
    public void Build_lists_every_problem_at_once()
    {
        var builder = new GptBuilder()
            .WithModel(GptConfig.Tiny with { HeadCount = 3 })
            .WithTokenizer(TokenizerSource.Bpe(vocabSize: 10))
            .WithTraining(t => { t.BatchSize = 0; t.LearningRate = -1; });

        var error = FluentActions.Invoking(builder.Build).Should().Throw<GptBuilderValidationException>().Which;

        error.Problems.Should().HaveCount(6);
        error.Problems.Should().Contain(p => p.Contains("WithRunDirectory", StringComparison.Ordinal));
        error.Problems.Should().Contain(p => p.Contains("No corpus", StringComparison.Ordinal));
        error.Problems.Should().Contain(p => p.StartsWith("Model: EmbeddingSize (128) must be divisible by HeadCount (3)", StringComparison.Ordinal));
        error.Problems.Should().Contain(p => p.Contains("vocabulary size", StringComparison.Ordinal));
        error.Problems.Should().Contain(p => p.StartsWith("Training: BatchSize", StringComparison.Ordinal));
        error.Problems.Should().Contain(p => p.StartsWith("Training: LearningRate", StringComparison.Ordinal));
        error.Message.Should().Contain("6 problem(s)");
    }

    [Fact]
    public void Build_checks_the_corpus_and_the_training_context_against_the_model()
    {
        using var folder = new TempDirectory();
        var builder = new GptBuilder()
            .WithRunDirectory(folder.Path)
            .WithCorpus(CorpusSource.TextFiles([folder.File("missing.txt")]))
            .WithModel(GptPreset.Tiny)
            .WithTraining(t => t.ContextLength = 4096);

        var error = FluentActions.Invoking(builder.Build).Should().Throw<GptBuilderValidationException>().Which;

        error.Problems.Should().HaveCount(2);
        error.Problems.Should().Contain(p => p.Contains("missing.txt", StringComparison.Ordinal));
        error.Problems.Should().Contain(p => p.Contains("ContextLength (4096)", StringComparison.Ordinal));
    }

    [Fact]
    public void A_model_for_the_time_budget_needs_a_time_budget()
    {
        using var folder = new TempDirectory();
        var error = FluentActions.Invoking(TrainedRunFixture.Builder(folder.Path).WithModelForTimeBudget().Build).Should().Throw<GptBuilderValidationException>().Which;
        error.Problems.Should().ContainSingle().Which.Should().Contain("WithModelForTimeBudget chooses the model for a time budget").And.Contain("TimeBudget");
    }

    [Fact]
    public async Task A_model_chosen_for_the_time_budget_is_the_one_trained_and_saved()
    {
        using var folder = new TempDirectory();
        using var pipeline = TrainedRunFixture.Builder(folder.Path)
            .WithModelForTimeBudget()
            .WithTraining(t => { t.MaxSteps = null; t.TimeBudget = TimeSpan.FromSeconds(8); t.BatchSize = 2; t.ContextLength = 32; })
            .Build();
        pipeline.ModelConfig.Should().BeNull();

        var result = await pipeline.TrainAsync();

        var choice = pipeline.ModelChoice!;
        choice.Should().NotBeNull();
        choice.Measured.Should().NotBeEmpty().And.OnlyContain(m => m.StepSeconds > 0);
        choice.Config.ContextLength.Should().Be(32);
        result.Steps.Should().BePositive();
        using var trained = RunFolder.Open(folder.Path);
        trained.ReadConfig().Should().Be(choice.Config);
    }

    [Fact]
    public async Task The_pipeline_trains_into_the_run_folder_and_the_loss_falls()
    {
        run.Result.Steps.Should().Be(60);
        File.Exists(Path.Combine(run.RunDirectory, "model.safetensors")).Should().BeTrue();
        File.Exists(Path.Combine(run.RunDirectory, "corpus", "text.txt")).Should().BeTrue();
        var evaluation = await run.Pipeline.EvaluateAsync("valid");
        evaluation.Loss.Should().BeLessThan(Math.Log(300) / 2, "a tiny model learns three repeated sentences well in 60 steps");
        await FluentActions.Awaiting(() => run.Pipeline.EvaluateAsync("test")).Should().ThrowAsync<ArgumentException>().WithMessage("*no 'test' split*");
    }

    [Fact]
    public async Task Streaming_and_whole_generation_agree_and_match_the_one_call_loader()
    {
        var whole = await run.Pipeline.GenerateAsync("the quick brown", Greedy);
        var pieces = new List<string>();
        await foreach (var piece in run.Pipeline.GenerateStreamingAsync("the quick brown", Greedy))
        {
            pieces.Add(piece);
        }

        whole.Should().NotBeEmpty();
        string.Concat(pieces).Should().Be(whole);
        using var opened = RunFolder.Open(run.RunDirectory);
        var loaded = opened.LoadGenerator();
        loaded.Generate("the quick brown", Greedy).Should().Be(whole);
    }

    [Fact]
    public async Task A_second_pipeline_on_a_trained_run_generates_without_training_again()
    {
        using var again = TrainedRunFixture.Builder(run.RunDirectory).Build();
        var expected = await run.Pipeline.GenerateAsync("every line", Greedy);
        (await again.GenerateAsync("every line", Greedy)).Should().Be(expected);
    }

    [Fact]
    public void Loading_a_run_that_was_never_trained_says_so()
    {
        using var folder = new TempDirectory();
        FluentActions.Invoking(() => RunFolder.Open(folder.Path)).Should().Throw<FileNotFoundException>().WithMessage("*not a prepared run folder*");
    }

    [Fact]
    public async Task Training_reports_progress()
    {
        using var folder = new TempDirectory();
        using var pipeline = TrainedRunFixture.Builder(folder.Path).WithTraining(t => { t.MaxSteps = 4; t.LogInterval = 1; }).Build();
        var reports = new List<TrainingProgress>();
        await pipeline.TrainAsync(new Progress(reports.Add));
        reports.Select(r => r.Step).Should().Equal(1, 2, 3, 4);
    }

    [Fact]
    public async Task A_pipeline_that_resumes_a_cancelled_run_ends_with_the_weights_of_an_uninterrupted_run()
    {
        using var folder = new TempDirectory();
        var straightRun = folder.File("straight");
        var splitRun = folder.File("split");
        static GptBuilder Builder(string runDirectory) => TrainedRunFixture.Builder(runDirectory)
            .WithModel(GptConfig.Tiny with { ContextLength = 32, EmbeddingSize = 32, LayerCount = 2, HeadCount = 2, Dropout = 0.1 })
            .WithTraining(t => { t.MaxSteps = 12; t.LogInterval = 1; });

        using (var straight = Builder(straightRun).Build())
        {
            (await straight.TrainAsync()).Steps.Should().Be(12);
        }

        using (var cts = new CancellationTokenSource())
        using (var first = Builder(splitRun).Build())
        {
            var stopAtFive = new Progress(p => { if (p.Step == 5) cts.Cancel(); });
            await FluentActions.Awaiting(() => first.TrainAsync(stopAtFive, cts.Token)).Should().ThrowAsync<OperationCanceledException>();
        }

        var latest = new CheckpointStore(FolderTraining.CheckpointsOf(splitRun)).LatestPath;
        CheckpointStore.ReadState(latest!).Step.Should().Be(5);
        File.Exists(Path.Combine(splitRun, "model.safetensors")).Should().BeFalse("the first run did not finish");

        // Another initial seed: the weights must come from the checkpoint, not from a fresh start.
        using (var resumed = Builder(splitRun).WithSeed(99).ResumeFromLatestCheckpoint().Build())
        {
            resumed.ResumesFromLatestCheckpoint.Should().BeTrue();
            var reports = new List<TrainingProgress>();
            var result = await resumed.TrainAsync(new Progress(reports.Add));
            result.Steps.Should().Be(12);
            reports.Select(r => r.Step).Should().Equal(6, 7, 8, 9, 10, 11, 12);
        }

        using var expected = ModelFile.Load(Path.Combine(straightRun, "model.safetensors"));
        using var actual = ModelFile.Load(Path.Combine(splitRun, "model.safetensors"));
        var reference = expected.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (name, parameter) in actual.NamedParameters())
        {
            (parameter - reference[name]).abs().max().item<float>().Should().BeLessThan(1e-6f, name);
        }

        TrainLosses(splitRun).Should().Equal(TrainLosses(straightRun));
    }

    [Fact]
    public async Task Resuming_a_run_folder_without_a_checkpoint_trains_from_the_start()
    {
        using var folder = new TempDirectory();
        using var pipeline = TrainedRunFixture.Builder(folder.Path).WithTraining(t => { t.MaxSteps = 3; t.LogInterval = 1; }).ResumeFromLatestCheckpoint().Build();
        var reports = new List<TrainingProgress>();
        (await pipeline.TrainAsync(new Progress(reports.Add))).Steps.Should().Be(3);
        reports.Select(r => r.Step).Should().Equal(1, 2, 3);
    }

    private static double[] TrainLosses(string run) =>
        File.ReadLines(FolderTraining.MetricsOf(run))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(e => e.GetProperty("type").GetString() == "train")
            .Select(e => e.GetProperty("loss").GetDouble())
            .ToArray();

    private sealed class Progress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
