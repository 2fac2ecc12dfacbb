using TinyGpt.Checkpoints;
using TinyGpt.Generation;
using TinyGpt.Modeling;
using TinyGpt.Tests.Data;
using TinyGpt.Tokens;
using TinyGpt.Training;
using TorchSharp;

namespace TinyGpt.Tests.Training;

/// <summary>
/// TorchSharp frees a tensor wrapper or a Scalar that nobody owns in its finalizer, and the
/// finalizer thread can do that while a native call still reads it: the process dies of a
/// segmentation fault (the main job once did, after an evaluation and a checkpoint). These tests
/// check that no step leaves a tensor to the finalizer, and that training survives while another
/// thread forces garbage collections and runs finalizers the whole time.
/// </summary>
[Collection(TrainingCollection.Name)]
public class NativeOwnershipTests
{
    private static readonly GptConfig Config = GptConfig.Tiny with { VocabSize = 256, ContextLength = 32, EmbeddingSize = 48, LayerCount = 2, HeadCount = 2, Dropout = 0.1 };

    private static TrainingData Data()
    {
        var tokenizer = new ByteTokenizer();
        var tokens = new TokenArray(tokenizer.Encode(string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 40))));
        return new TrainingData(tokens, tokenizer) { Validation = tokens };
    }

    // Evaluations, checkpoints and samples every few steps: the steps where the crash happened.
    private static TrainingOptions Options(int steps) => new()
    {
        BatchSize = 4,
        MaxSteps = steps,
        LearningRate = 3e-3,
        WarmupSteps = 2,
        EvalInterval = 5,
        EvalBatches = 2,
        CheckpointInterval = 5,
        SampleInterval = 7,
        SampleTokens = 8,
        SamplePrompt = "the",
        LogInterval = 1,
        Seed = 3,
    };

    [Fact]
    public void No_training_step_leaves_a_tensor_to_the_finalizer()
    {
        using var run = new TempDirectory();
        using var model = new GptModel(Config, seed: 1);
        var statistics = DisposeScopeManager.Statistics;
        var before = statistics.ThreadTotalLiveCount;
        var perStep = new List<long>();
        var last = before;
        FolderTraining.Create(model, Data(), Options(30), run.Path).Train(new InlineProgress<TrainingProgress>(_ =>
        {
            perStep.Add(statistics.ThreadTotalLiveCount - last);
            last = statistics.ThreadTotalLiveCount;
        }));

        // Step 1 holds the optimizer's moments for the whole run; every later step, evaluation,
        // checkpoint and sample steps included, must end with exactly the tensors it started with.
        perStep.Should().HaveCount(30);
        perStep.Skip(1).Should().AllSatisfy(delta => delta.Should().Be(0));
        statistics.ThreadTotalLiveCount.Should().Be(before, "the run disposes everything it made, the optimizer included");
    }

    [Fact]
    public void Loading_a_checkpoint_and_generating_leaves_no_tensor_to_the_finalizer()
    {
        using var run = new TempDirectory();
        var data = Data();
        using (var model = new GptModel(Config, seed: 1))
        {
            FolderTraining.Create(model, data, Options(5), run.Path).Train();
        }

        var statistics = DisposeScopeManager.Statistics;
        var before = statistics.ThreadTotalLiveCount;
        var path = new CheckpointStore(FolderTraining.CheckpointsOf(run.Path)).LatestPath!;
        using (var loaded = CheckpointStore.LoadModel(path))
        {
            var generator = new TextGenerator(loaded, data.Tokenizer);
            generator.Generate("the quick", new GenerationOptions { MaxNewTokens = 12, Sampling = new SamplingOptions { Temperature = 0.9, TopK = 20, TopP = 0.9, RepetitionPenalty = 1.2, Seed = 4 } });
            ModelEvaluator.Evaluate(loaded, data.Validation!, new EvaluationSettings { BatchSize = 3 });
        }

        statistics.ThreadTotalLiveCount.Should().Be(before);
    }

    [Fact]
    public void Training_while_another_thread_forces_collections_ends_with_the_same_weights()
    {
        using var quietRun = new TempDirectory();
        using var stressedRun = new TempDirectory();
        var data = Data();
        using var quiet = new GptModel(Config, seed: 1);
        FolderTraining.Create(quiet, data, Options(40), quietRun.Path).Train();

        using var stressed = new GptModel(Config, seed: 1);
        using (new GarbageCollectionPressure())
        {
            // A collection between steps as well: whatever a step left without an owner is finalized
            // while the next step's native calls run.
            FolderTraining.Create(stressed, data, Options(40), stressedRun.Path).Train(new InlineProgress<TrainingProgress>(_ => GC.Collect()));
            var generator = new TextGenerator(stressed, data.Tokenizer);
            for (var i = 0; i < 5; i++)
            {
                generator.Generate("the", new GenerationOptions { MaxNewTokens = 20, Sampling = new SamplingOptions { Temperature = 0.8, TopK = 10, Seed = i } });
            }
        }

        var expected = quiet.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.data<float>().ToArray());
        foreach (var (name, parameter) in stressed.NamedParameters())
        {
            parameter.data<float>().ToArray().Should().Equal(expected[name], name);
        }
    }
}
