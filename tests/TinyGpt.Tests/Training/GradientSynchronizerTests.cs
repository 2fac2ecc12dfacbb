using TinyGpt.Modeling;
using TinyGpt.Tests.Data;
using TinyGpt.Tokens;
using TinyGpt.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Tests.Training;

/// <summary>
/// Overlapping the gradient all-reduce with backward, in one process against a
/// <see cref="MirrorCollective"/> (an identical second rank whose non-blocking all-reduces read
/// the gradients when they start): averaged gradients must equal the local ones exactly, which
/// they do only if no bucket starts before its gradients are final. The multi-process check is
/// DistributedTrainingTests in TinyGpt.Distributed.Tests.
/// </summary>
[Collection(TrainingCollection.Name)]
public class GradientSynchronizerTests
{
    private static readonly GptConfig Config = GptConfig.Tiny with { VocabSize = 61, ContextLength = 16, EmbeddingSize = 32, LayerCount = 3, HeadCount = 2 };

    [Theory]
    [InlineData(1, 25L << 20)]
    [InlineData(2, 25L << 20)]
    [InlineData(1, 6000L)]
    [InlineData(3, 6000L)]
    public void Overlapped_averaging_starts_the_blocks_buckets_inside_backward_and_gives_the_gradients_of_averaging_afterwards(int accumulation, long bucketBytes)
    {
        using var scope = NewDisposeScope();
        using var model = new GptModel(Config, seed: 3);
        var parameters = model.parameters().Cast<Tensor>().ToList();
        for (var micro = 0; micro < accumulation; micro++)
        {
            Loss(model, seed: 10 + micro).backward();
        }

        var expected = parameters.Select(p => p.grad!.clone()).ToList();
        model.zero_grad();
        var collective = new MirrorCollective();
        var synchronizer = new GradientSynchronizer(collective, parameters, bucketBytes, model.GradientCompleteAfterBlock());

        for (var micro = 0; micro < accumulation; micro++)
        {
            if (micro == accumulation - 1)
            {
                synchronizer.ArmOverlap();
                model.BlockBackwardObserver = synchronizer;
            }

            Loss(model, seed: 10 + micro).backward();
        }

        model.BlockBackwardObserver = null;
        var startedInBackward = collective.AsyncStarted;
        synchronizer.AverageGradients();

        var blockBuckets = synchronizer.BucketCompleteAfterBlock.Count(block => block is not null);
        blockBuckets.Should().BeGreaterThanOrEqualTo(Config.LayerCount);
        startedInBackward.Should().Be(blockBuckets, "every bucket of blocks starts as backward leaves its block; only the embeddings' wait");
        collective.AsyncStarted.Should().Be(synchronizer.BucketCount);
        collective.BlockingCalls.Should().Be(0);
        parameters.Select(p => p.grad!).Zip(expected).Should().OnlyContain(pair => pair.First.SameAs(pair.Second));
    }

    [Fact]
    public void Buckets_end_where_the_completing_block_changes()
    {
        using var model = new GptModel(Config with { TieEmbeddings = false }, seed: 3);
        var parameters = model.parameters().Cast<Tensor>().ToList();

        var synchronizer = new GradientSynchronizer(new MirrorCollective(), parameters, 25L << 20, model.GradientCompleteAfterBlock());

        // ln_f and the head with the last block, one bucket per block below, the embeddings last.
        synchronizer.BucketCompleteAfterBlock.Should().Equal(2, 1, 0, null);
        synchronizer.BucketParameters(3).Should().HaveCount(2);
        synchronizer.BucketParameters(0).Sum(p => p.NumberOfElements).Should().Be(
            model.NamedParameters().Where(p => p.Name.StartsWith("h.2.", StringComparison.Ordinal) || p.Name.StartsWith("ln_f.", StringComparison.Ordinal) || p.Name == "lm_head.weight").Sum(p => p.Parameter.NumberOfElements));
        new GradientSynchronizer(new MirrorCollective(), parameters, 25L << 20).BucketCount.Should().Be(1, "without overlap one bucket holds everything that fits");
    }

    [Fact]
    public void A_bucket_started_before_its_block_is_done_averages_a_wrong_gradient()
    {
        // The control for the test above: claiming every gradient complete after the last block
        // starts all buckets too early, and the mirror's all-reduce then reads unfinished gradients.
        using var scope = NewDisposeScope();
        using var model = new GptModel(Config, seed: 3);
        var parameters = model.parameters().Cast<Tensor>().ToList();
        Loss(model, seed: 10).backward();
        var expected = parameters.Select(p => p.grad!.clone()).ToList();
        model.zero_grad();
        var collective = new MirrorCollective();
        var wrong = Enumerable.Repeat<int?>(Config.LayerCount - 1, parameters.Count).ToList();
        var synchronizer = new GradientSynchronizer(collective, parameters, 25L << 20, wrong);

        synchronizer.ArmOverlap();
        model.BlockBackwardObserver = synchronizer;
        Loss(model, seed: 10).backward();
        model.BlockBackwardObserver = null;
        synchronizer.AverageGradients();

        parameters.Select(p => p.grad!).Zip(expected).Should().Contain(pair => !pair.First.SameAs(pair.Second));
    }

    [Fact]
    public void A_failure_to_start_an_all_reduce_inside_backward_surfaces_after_backward()
    {
        using var scope = NewDisposeScope();
        using var model = new GptModel(Config, seed: 3);
        var collective = new MirrorCollective { FailAsync = new InvalidOperationException("link down") };
        var synchronizer = new GradientSynchronizer(collective, model.parameters().Cast<Tensor>().ToList(), 25L << 20, model.GradientCompleteAfterBlock());

        synchronizer.ArmOverlap();
        model.BlockBackwardObserver = synchronizer;
        // An exception escaping into libtorch's backward would end the test process here.
        Loss(model, seed: 10).backward();
        model.BlockBackwardObserver = null;

        synchronizer.Invoking(s => s.AverageGradients()).Should().Throw<InvalidOperationException>()
            .WithMessage("*during the backward pass*link down*").WithInnerException<InvalidOperationException>();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Training_with_overlap_ends_with_the_weights_of_training_without(int accumulation)
    {
        var (plain, plainCollective) = Train(overlap: false, accumulation);
        var (overlapped, overlapCollective) = Train(overlap: true, accumulation);

        plainCollective.AsyncStarted.Should().Be(0);
        overlapCollective.AsyncStarted.Should().BeGreaterThan(0, "the overlapped run averaged its gradients with non-blocking all-reduces");
        overlapped.Zip(plain).Should().OnlyContain(pair => pair.First.SameAs(pair.Second));
        foreach (var tensor in plain.Concat(overlapped))
        {
            tensor.Dispose();
        }
    }

    [Fact]
    public void A_failure_inside_an_overlapped_backward_fails_the_training_and_aborts_the_job()
    {
        var collective = new MirrorCollective { FailAsync = new InvalidOperationException("link down") };
        using var model = new GptModel(Config, seed: 3);
        var trainer = new Trainer(model, Data(), Options(accumulation: 1), collective: collective) { OverlapGradientAllReduce = true };

        trainer.Invoking(t => t.Train()).Should().Throw<InvalidOperationException>().WithMessage("*link down*");
        collective.Aborts.Should().ContainSingle().Which.Should().Contain("link down");
        model.BlockBackwardObserver.Should().BeNull("the model must not keep the boundaries after the failed step");
    }

    private static (List<Tensor> Weights, MirrorCollective Collective) Train(bool overlap, int accumulation)
    {
        var collective = new MirrorCollective();
        using var model = new GptModel(Config, seed: 3);
        var trainer = new Trainer(model, Data(), Options(accumulation), collective: collective) { OverlapGradientAllReduce = overlap };
        trainer.Train();
        trainer.Synchronizer!.Overlaps.Should().Be(overlap);
        return (model.parameters().Select(p => p.detach().clone()).ToList(), collective);
    }

    private static TrainingData Data()
    {
        var tokenizer = new ByteTokenizer(vocabSize: Config.VocabSize);
        var text = string.Concat(Enumerable.Repeat("pack my box with five dozen liquor jugs. ", 20));
        return new TrainingData(new TokenArray(tokenizer.Encode(text).Select(t => t % Config.VocabSize).ToArray()), tokenizer);
    }

    private static TrainingOptions Options(int accumulation) => new()
    {
        BatchSize = 2,
        GradientAccumulationSteps = accumulation,
        MaxSteps = 3,
        LearningRate = 3e-3,
        WarmupSteps = 1,
        EvalInterval = 0,
        CheckpointInterval = 0,
        LogInterval = 1,
        Seed = 5,
        BatchOrder = BatchOrder.ShuffledEpochs,
    };

    private static Tensor Loss(GptModel model, int seed)
    {
        using var generator = new Generator((ulong)seed, torch.device("cpu"));
        var tokens = randint(0, Config.VocabSize, [2, Config.ContextLength], generator: generator, dtype: ScalarType.Int64);
        var logits = model.forward(tokens);
        return nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), tokens.view(-1));
    }
}
