using System.Text.Json;
using TinyGpt.Checkpoints;
using TinyGpt.Generation;
using TinyGpt.Modeling;
using TinyGpt.Tests.Data;
using TinyGpt.Tokens;
using TinyGpt.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Tests.Training;

[Collection(TrainingCollection.Name)]
public class TrainerTests
{
    private static readonly GptConfig Config = GptConfig.Tiny with { VocabSize = 256, ContextLength = 32, EmbeddingSize = 48, LayerCount = 2, HeadCount = 2 };


    private static TrainingOptions QuickOptions(int steps) => new()
    {
        BatchSize = 4,
        MaxSteps = steps,
        LearningRate = 3e-3,
        WarmupSteps = 2,
        EvalInterval = 0,
        CheckpointInterval = 0,
        LogInterval = 1,
        Seed = 5,
        BatchOrder = BatchOrder.RandomOffsets,
    };

    [Fact]
    public void A_tiny_model_overfits_repeated_text_and_greedy_generation_reproduces_it()
    {
        using var model = new GptModel(Config, seed: 1);
        var data = RepeatedSentence.Data();
        var result = new Trainer(model, data, QuickOptions(150)).Train();

        result.FinalLoss.Should().BeLessThan(0.15);
        result.Validation!.Loss.Should().BeLessThan(0.15);
        var generator = new TextGenerator(model, data.Tokenizer);
        var completion = generator.Generate("the quick brown fox ", new GenerationOptions { MaxNewTokens = 25, Sampling = SamplingOptions.Greedy, ContextOverflow = ContextOverflow.KeepLastTokens });
        completion.Should().Be("jumps over the lazy dog. ");
    }

    [Fact]
    public void Resuming_from_a_checkpoint_continues_exactly_as_an_uninterrupted_run()
    {
        using var straightRun = new TempDirectory();
        using var splitRun = new TempDirectory();
        var data = RepeatedSentence.Data();
        var options = QuickOptions(12);

        using var straight = new GptModel(Config with { Dropout = 0.1 }, seed: 2);
        FolderTraining.Create(straight, data, options, straightRun.Path).Train();

        using (var first = new GptModel(Config with { Dropout = 0.1 }, seed: 2))
        {
            var half = options.Clone();
            half.MaxSteps = 12;
            using var cts = new CancellationTokenSource();
            var trainer = FolderTraining.Create(first, data, half, splitRun.Path);
            var cancelAtSix = new InlineProgress<TrainingProgress>(p => { if (p.Step == 6) cts.Cancel(); });
            FluentActions.Invoking(() => trainer.Train(cancelAtSix, cts.Token)).Should().Throw<TrainingStoppedException>().Which.Step.Should().Be(6);
        }

        using var resumed = new GptModel(Config with { Dropout = 0.1 }, seed: 99);
        var resumer = FolderTraining.Create(resumed, data, options, splitRun.Path);
        resumer.ResumeFromLatest();
        resumer.Train();

        var a = straight.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (name, parameter) in resumed.NamedParameters())
        {
            (parameter - a[name]).abs().max().item<float>().Should().BeLessThan(1e-6f, name);
        }

        TrainLosses(straightRun.Path).Should().Equal(TrainLosses(splitRun.Path));
    }

    [Fact]
    public async Task Cancellation_leaves_a_loadable_checkpoint()
    {
        using var run = new TempDirectory();
        using var model = new GptModel(Config, seed: 3);
        using var cts = new CancellationTokenSource();
        var trainer = FolderTraining.Create(model, RepeatedSentence.Data(), QuickOptions(50), run.Path);
        var act = async () => await trainer.TrainAsync(new InlineProgress<TrainingProgress>(p => { if (p.Step == 4) cts.Cancel(); }), cts.Token);
        (await act.Should().ThrowAsync<TrainingStoppedException>()).Which.CheckpointPath.Should().EndWith("step-00000004.safetensors");

        var store = new CheckpointStore(FolderTraining.CheckpointsOf(run.Path));
        store.LatestPath.Should().NotBeNull();
        CheckpointStore.ReadState(store.LatestPath!).Step.Should().Be(4);
        using var loaded = CheckpointStore.LoadModel(store.LatestPath!);
        loaded.Config.Should().Be(Config);
    }

    [Fact]
    public void Damaged_checkpoints_are_rejected_clearly_and_the_previous_one_still_loads()
    {
        using var run = new TempDirectory();
        using var model = new GptModel(Config, seed: 4);
        var options = QuickOptions(6);
        options.CheckpointInterval = 3;
        options.KeepCheckpoints = 3;
        FolderTraining.Create(model, RepeatedSentence.Data(), options, run.Path).Train();
        var store = new CheckpointStore(FolderTraining.CheckpointsOf(run.Path), 3);
        var files = store.List();
        files.Should().HaveCount(2);
        var bytes = File.ReadAllBytes(files[^1]);

        foreach (var cut in new[] { 0, 4, 8, 100, bytes.Length / 2, bytes.Length - 1 })
        {
            var damaged = Path.Combine(run.Path, $"cut-{cut}.safetensors");
            File.WriteAllBytes(damaged, bytes[..cut]);
            FluentActions.Invoking(() => CheckpointStore.LoadModel(damaged)).Should().Throw<InvalidDataException>()
                .WithMessage("*" + Path.GetFileName(damaged) + "*", $"a file cut at {cut} bytes is not a checkpoint");
        }

        foreach (var position in new[] { 20, bytes.Length / 3, bytes.Length - 10 })
        {
            var flipped = (byte[])bytes.Clone();
            flipped[position] ^= 0x5A;
            var damaged = Path.Combine(run.Path, $"flip-{position}.safetensors");
            File.WriteAllBytes(damaged, flipped);
            FluentActions.Invoking(() => CheckpointStore.LoadModel(damaged)).Should().Throw<InvalidDataException>();
        }

        using var previous = CheckpointStore.LoadModel(files[0]);
        previous.Should().NotBeNull();
    }

    [Fact]
    public void A_checkpoint_of_another_configuration_or_tokenizer_is_refused_on_resume()
    {
        using var run = new TempDirectory();
        using (var model = new GptModel(Config, seed: 4))
        {
            FolderTraining.Create(model, RepeatedSentence.Data(), QuickOptions(2), run.Path).Train();
        }

        using var other = new GptModel(Config with { LayerCount = 3 });
        var trainer = FolderTraining.Create(other, RepeatedSentence.Data(), QuickOptions(4), run.Path);
        trainer.ResumeFromLatest();
        FluentActions.Invoking(() => trainer.Train()).Should().Throw<CheckpointMismatchException>().WithMessage("*another model*LayerCount 2 in the checkpoint, 3 now*");

        using var same = new GptModel(Config);
        var tokenizer = new ByteTokenizer(fingerprint: "another");
        var otherTokens = new TrainingData(RepeatedSentence.Data().Train, tokenizer);
        var trainer2 = FolderTraining.Create(same, otherTokens, QuickOptions(4), run.Path);
        trainer2.ResumeFromLatest();
        FluentActions.Invoking(() => trainer2.Train()).Should().Throw<CheckpointMismatchException>().WithMessage("*tokenizer*");
    }

    [Fact]
    public void Uniform_logits_give_a_perplexity_equal_to_the_vocabulary_size()
    {
        using var model = new GptModel(Config);
        using (no_grad())
        {
            foreach (var (name, parameter) in model.NamedParameters().Where(p => p.Name.StartsWith("ln_f.", StringComparison.Ordinal)))
            {
                parameter.zero_();
            }
        }

        var data = RepeatedSentence.Data(5);
        var result = new Trainer(model, data, QuickOptions(1)).Evaluate(data.Train, bytes: 1000, words: 100);
        result.TokenPerplexity.Should().BeApproximately(256, 1e-3);
        result.Tokens.Should().Be(data.Train.Count - 1);
        result.BitsPerByte.Should().BeApproximately(result.Tokens * 8.0 / 1000, 1e-6);
        result.WordPerplexity.Should().BeApproximately(Math.Pow(256, result.Tokens / 100.0), Math.Pow(256, result.Tokens / 100.0) * 1e-6);
    }

    [Fact]
    public void Label_smoothing_trains_on_the_smoothed_cross_entropy()
    {
        // With ln_f's gain zeroed every position outputs its bias, so every position predicts the
        // same distribution p: the smoothed loss is (1 - e) NLL + e mean over the vocabulary of -log p.
        static GptModel SameDistributionEverywhere()
        {
            var model = new GptModel(Config, seed: 3);
            using var noGrad = no_grad();
            using var generator = new Generator(7, device("cpu"));
            // Scaled up so that p is far from uniform (the embeddings start small).
            using var bias = randn([Config.EmbeddingSize], generator: generator);
            using var scale = 100.ToScalar();
            model.NamedParameters().Single(p => p.Name == "ln_f.weight").Parameter.zero_();
            model.NamedParameters().Single(p => p.Name == "ln_f.bias").Parameter.copy_(bias.mul(scale));
            return model;
        }

        var data = RepeatedSentence.Data(5);
        using var plainModel = SameDistributionEverywhere();
        var plain = new Trainer(plainModel, data, QuickOptions(1)).Train().FinalLoss;
        using var smoothedModel = SameDistributionEverywhere();
        var options = QuickOptions(1);
        options.LabelSmoothing = 0.2;
        var smoothed = new Trainer(smoothedModel, data, options).Train().FinalLoss;

        using var model = SameDistributionEverywhere();
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var meanNegativeLogP = -model.forward(tensor(new long[] { 1 }).unsqueeze(0)).log_softmax(-1).mean().item<float>();
        smoothed.Should().BeApproximately((0.8 * plain) + (0.2 * meanNegativeLogP), 1e-4);
        smoothed.Should().NotBeApproximately(plain, 0.1, "p is far from uniform, so smoothing changes the loss");
    }

    [Fact]
    public void Non_finite_loss_stops_the_run_naming_the_step()
    {
        using var model = new GptModel(Config);
        var options = QuickOptions(5);
        options.LearningRate = 1e30;
        options.GradientClip = 0;
        FluentActions.Invoking(() => new Trainer(model, RepeatedSentence.Data(), options).Train())
            .Should().Throw<TrainingDivergedException>().WithMessage("*diverged at step*");
    }

    private static double[] TrainLosses(string run) =>
        File.ReadLines(FolderTraining.MetricsOf(run))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(e => e.GetProperty("type").GetString() == "train")
            .Select(e => e.GetProperty("loss").GetDouble())
            .ToArray();
}
