using TinyGpt.Checkpoints;
using TinyGpt.Modeling;
using TinyGpt.Serialization;
using TinyGpt.Tests.Data;
using TinyGpt.Tokens;
using TinyGpt.Training;
using static TorchSharp.torch;

namespace TinyGpt.Tests.Training;

[Collection(TrainingCollection.Name)]
public class WeightAverageTests
{
    private static readonly GptConfig Config = GptConfig.Tiny with { VocabSize = 256, ContextLength = 32, EmbeddingSize = 48, LayerCount = 2, HeadCount = 2, Dropout = 0.1 };


    private static TrainingOptions Options(double? decay) => new()
    {
        BatchSize = 4,
        MaxSteps = 12,
        LearningRate = 3e-3,
        WarmupSteps = 2,
        EvalInterval = 0,
        CheckpointInterval = 0,
        LogInterval = 1,
        Seed = 7,
        BatchOrder = BatchOrder.RandomOffsets,
        WeightAverageDecay = decay,
    };

    [Fact]
    public void Each_update_moves_the_average_toward_the_weights_by_one_minus_the_decay_of_that_update()
    {
        using var parameter = tensor(new[] { 0f, 10f });
        using var average = new WeightAverage([("w", parameter)], decay: 0.5);
        average.NextDecay.Should().BeApproximately(0.1, 1e-12, "the first update's decay is (1 + 0) / (10 + 0)");

        parameter.copy_(tensor(new[] { 10f, 0f }));
        average.Update();
        // 0.1 * [0, 10] + 0.9 * [10, 0]
        average.State()[0].Value.data<float>().ToArray().Should().BeEquivalentTo([9f, 1f], o => o.Using<float>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-5f)).WhenTypeIs<float>());

        average.UpdateCount = 1000;
        average.NextDecay.Should().Be(0.5, "the decay is capped at the one asked for");
        parameter.copy_(tensor(new[] { 1f, 1f }));
        average.Update();
        average.State()[0].Value.data<float>().ToArray().Should().BeEquivalentTo([5f, 1f], o => o.Using<float>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-5f)).WhenTypeIs<float>());

        var averaged = average.State()[0].Value.data<float>().ToArray();
        using (average.Apply())
        {
            parameter.data<float>().ToArray().Should().Equal(averaged);
        }

        parameter.data<float>().ToArray().Should().Equal(1f, 1f);
    }

    [Fact]
    public void The_final_model_and_its_evaluation_are_the_average_while_the_checkpoint_keeps_the_raw_weights_too()
    {
        using var run = new TempDirectory();
        using var model = new GptModel(Config, seed: 3);
        var data = RepeatedSentence.Data();
        var trainer = FolderTraining.Create(model, data, Options(0.9), run.Path);
        var result = trainer.Train();

        var checkpoint = result.CheckpointPath!;
        CheckpointStore.ReadState(checkpoint).WeightAverageUpdates.Should().Be(12);
        using var content = SafeTensorsFile.Open(checkpoint);
        var differsFromRaw = false;
        foreach (var (name, parameter) in model.NamedParameters())
        {
            using var averaged = content.Load(WeightAverage.StatePrefix + name);
            using var raw = content.Load("model." + name);
            (parameter - averaged).abs().max().item<float>().Should().Be(0f, name);
            differsFromRaw |= (raw - averaged).abs().max().item<float>() > 1e-4f;
        }

        differsFromRaw.Should().BeTrue("twelve steps at lr 3e-3 move the raw weights away from their average");
        trainer.Evaluate(data.Validation!).Loss.Should().BeApproximately(result.Validation!.Loss, 1e-6, "the final evaluation scored the average");
        using var saved = ModelFile.Load(FolderTraining.ModelOf(run.Path));
        var savedWeights = saved.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (name, parameter) in model.NamedParameters())
        {
            (parameter - savedWeights[name]).abs().max().item<float>().Should().Be(0f, name);
        }
    }

    [Fact]
    public void Resuming_with_another_step_count_or_without_the_average_says_so_and_the_same_command_does_not()
    {
        using var folder = new TempDirectory();
        var data = RepeatedSentence.Data();
        TrainAndStopAt(5, folder.Path, data, Options(0.8), seed: 2);

        List<string> ResumeWith(TrainingOptions options)
        {
            var logger = new ListLogger();
            using var resumed = new GptModel(Config, seed: 99);
            var trainer = new Trainer(resumed, data, options, logger) { Checkpoints = new CheckpointStore(FolderTraining.CheckpointsOf(folder.Path), options.KeepCheckpoints) };
            using var cts = new CancellationTokenSource();
            var stopAfterOneStep = new InlineProgress<TrainingProgress>(_ => cts.Cancel());
            FluentActions.Invoking(() => trainer.ResumeFromLatest().Train(stopAfterOneStep, cts.Token)).Should().Throw<TrainingStoppedException>();
            return [.. logger.Messages];
        }

        // Each resume stops after one step and saves it, so the next one resumes from there.
        ResumeWith(Options(0.8)).Should().NotContainMatch("*planned*").And.NotContainMatch("*keeps a weight average*");
        var longer = Options(0.8);
        longer.MaxSteps = 30;
        ResumeWith(longer).Should().ContainMatch("The checkpoint's run planned 12 steps with 2 of warmup; this run plans 30 with 2*");
        ResumeWith(Options(null)).Should().ContainMatch("*keeps a weight average, but this run has none*");
    }

    [Fact]
    public void A_resumed_run_continues_the_average_exactly()
    {
        using var straightRun = new TempDirectory();
        using var splitRun = new TempDirectory();
        var data = RepeatedSentence.Data();

        using var straight = new GptModel(Config, seed: 2);
        FolderTraining.Create(straight, data, Options(0.8), straightRun.Path).Train();

        TrainAndStopAt(5, splitRun.Path, data, Options(0.8), seed: 2);

        using var resumed = new GptModel(Config, seed: 99);
        FolderTraining.Create(resumed, data, Options(0.8), splitRun.Path).ResumeFromLatest().Train();

        var expected = straight.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (name, parameter) in resumed.NamedParameters())
        {
            (parameter - expected[name]).abs().max().item<float>().Should().BeLessThan(1e-6f, name);
        }
    }

    [Fact]
    public void Resuming_a_run_without_an_average_starts_one_from_the_checkpoint()
    {
        using var run = new TempDirectory();
        var data = RepeatedSentence.Data();
        TrainAndStopAt(4, run.Path, data, Options(null), seed: 4);

        CheckpointStore.ReadState(new CheckpointStore(FolderTraining.CheckpointsOf(run.Path)).LatestPath!).WeightAverageUpdates.Should().BeNull();
        using var resumed = new GptModel(Config, seed: 5);
        var result = FolderTraining.Create(resumed, data, Options(0.9), run.Path).ResumeFromLatest().Train();

        CheckpointStore.ReadState(result.CheckpointPath!).WeightAverageUpdates.Should().Be(8, "the average started at step 4 and folded in steps 5 to 12");
    }

    // Trains a fresh model in the run folder and stops it after the given step, which saves a checkpoint there.
    private static void TrainAndStopAt(int step, string folder, TrainingData data, TrainingOptions options, int seed)
    {
        using var model = new GptModel(Config, seed);
        using var cts = new CancellationTokenSource();
        var stopAtStep = new InlineProgress<TrainingProgress>(p => { if (p.Step == step) cts.Cancel(); });
        FluentActions.Invoking(() => FolderTraining.Create(model, data, options, folder).Train(stopAtStep, cts.Token))
            .Should().Throw<TrainingStoppedException>().Which.Step.Should().Be(step);
    }
}
