using TinyGpt.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Tests.Modeling;

/// <summary>
/// The ordering that overlapping the gradient all-reduce with backward relies on: when backward
/// passes the boundary in front of block N, the gradients of block N, of every block above it and
/// of <c>ln_f</c> and the head are final, and those of the blocks below and of the embeddings are not.
/// </summary>
public class GptModelBackwardBoundaryTests
{
    private static readonly GptConfig Config = GptConfig.Tiny with { VocabSize = 61, ContextLength = 16, EmbeddingSize = 32, LayerCount = 3, HeadCount = 2 };

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void When_backward_passes_a_blocks_boundary_exactly_the_parameters_named_complete_have_their_final_gradient(bool tiedHead, bool accumulateOntoEarlierGradients)
    {
        using var scope = NewDisposeScope();
        using var model = new GptModel(Config with { TieEmbeddings = tiedHead }, seed: 2);
        model.train();
        var named = model.NamedParameters();
        if (accumulateOntoEarlierGradients)
        {
            // As the trainer's last micro-batch of an accumulation: backward adds onto gradients already there.
            Loss(model, seed: 3).backward();
        }

        var earlier = named.Select(p => p.Parameter.grad?.clone()).ToList();
        var observer = new SnapshotObserver(model);
        model.BlockBackwardObserver = observer;
        Loss(model, seed: 4).backward();
        model.BlockBackwardObserver = null;

        observer.Blocks.Should().Equal([2, 1, 0], "backward meets the blocks from the last to the first, once each");
        var completeAfter = model.GradientCompleteAfterBlock();
        for (var call = 0; call < observer.Blocks.Count; call++)
        {
            var block = observer.Blocks[call];
            for (var i = 0; i < named.Count; i++)
            {
                var seen = observer.Snapshots[call][i];
                var final = named[i].Parameter.grad!;
                if (completeAfter[i] >= block)
                {
                    seen.Should().NotBeNull();
                    seen!.SameAs(final).Should().BeTrue($"{named[i].Name} is named complete after block {completeAfter[i]}, and backward has passed block {block}");
                }
                else
                {
                    // Not even started: the gradient is still what it was before this backward. That
                    // includes a tied token embedding: libtorch sums the head's share with the
                    // embedding's before it accumulates the parameter's gradient, at the end.
                    var before = earlier[i];
                    if (before is null)
                    {
                        seen.Should().BeNull($"{named[i].Name} gets its gradient after block {block}");
                    }
                    else
                    {
                        seen!.SameAs(before).Should().BeTrue($"{named[i].Name} gets its gradient after block {block}");
                    }
                }
            }
        }
    }

    [Fact]
    public void Boundaries_change_neither_the_logits_nor_the_gradients()
    {
        using var scope = NewDisposeScope();
        using var model = new GptModel(Config, seed: 5);
        model.train();
        var tokens = Tokens(seed: 6);

        var plainLogits = model.forward(tokens);
        CrossEntropy(plainLogits, tokens).backward();
        var plainGrads = model.parameters().Select(p => p.grad!.clone()).ToList();
        model.zero_grad();
        var observer = new SnapshotObserver(model);
        model.BlockBackwardObserver = observer;
        var markedLogits = model.forward(tokens);
        CrossEntropy(markedLogits, tokens).backward();
        model.BlockBackwardObserver = null;

        observer.Blocks.Should().HaveCount(Config.LayerCount);
        markedLogits.SameAs(plainLogits).Should().BeTrue();
        model.parameters().Select(p => p.grad!).Zip(plainGrads).Should().OnlyContain(pair => pair.First.SameAs(pair.Second));
    }

    [Fact]
    public void Without_gradients_no_boundary_is_inserted()
    {
        using var scope = NewDisposeScope();
        using var model = new GptModel(Config, seed: 5);
        var observer = new SnapshotObserver(model);
        model.BlockBackwardObserver = observer;
        using (no_grad())
        {
            model.forward(Tokens(seed: 6)).requires_grad.Should().BeFalse();
        }

        observer.Blocks.Should().BeEmpty();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Blocks_own_their_parameters_and_ln_f_and_the_head_go_with_the_last_block(bool tiedHead)
    {
        using var model = new GptModel(Config with { TieEmbeddings = tiedHead }, seed: 1);

        var byName = model.NamedParameters().Select(p => p.Name).Zip(model.GradientCompleteAfterBlock()).ToDictionary();

        byName["wte.weight"].Should().BeNull();
        byName["wpe.weight"].Should().BeNull();
        byName["h.0.attn.c_attn.weight"].Should().Be(0);
        byName["h.1.mlp.c_proj.bias"].Should().Be(1);
        byName["h.2.ln_2.weight"].Should().Be(2);
        byName["ln_f.weight"].Should().Be(2);
        byName.ContainsKey("lm_head.weight").Should().Be(!tiedHead);
        if (!tiedHead)
        {
            byName["lm_head.weight"].Should().Be(2);
        }
    }

    private static Tensor Tokens(int seed)
    {
        using var generator = new Generator((ulong)seed, torch.device("cpu"));
        return randint(0, Config.VocabSize, [2, Config.ContextLength], generator: generator, dtype: ScalarType.Int64);
    }

    private static Tensor Loss(GptModel model, int seed)
    {
        var tokens = Tokens(seed);
        return CrossEntropy(model.forward(tokens), tokens);
    }

    // Predicting the input itself is as good a loss as any for checking gradients.
    private static Tensor CrossEntropy(Tensor logits, Tensor tokens) =>
        nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), tokens.view(-1));

    /// <summary>Copies every parameter's gradient (null when it has none yet) each time backward passes a boundary.</summary>
    private sealed class SnapshotObserver(GptModel model) : IBlockBackwardObserver
    {
        public List<int> Blocks { get; } = [];

        public List<List<Tensor?>> Snapshots { get; } = [];

        public void BlockBackwardCompleted(int block)
        {
            Blocks.Add(block);
            Snapshots.Add(model.NamedParameters().Select(p => p.Parameter.grad?.clone()).ToList());
        }
    }
}
