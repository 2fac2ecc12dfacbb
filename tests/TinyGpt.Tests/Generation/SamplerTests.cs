using TinyGpt.Generation;
using TinyGpt.Ngrams;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Tests.Generation;

public class SamplerTests
{
    private static Tensor RandomLogits(int batch, int vocab, int seed)
    {
        using var generator = new Generator((ulong)seed, torch.device("cpu"));
        using var three = 3.ToScalar();
        return randn([batch, vocab], generator: generator).mul(three);
    }

    [Fact]
    public void Greedy_is_argmax_and_temperature_zero_is_greedy()
    {
        using var scope = NewDisposeScope();
        var logits = RandomLogits(8, 50, 1);
        var expected = logits.argmax(-1).data<long>().ToArray().Select(v => (int)v);
        var greedy = new Sampler(SamplingOptions.Greedy);
        greedy.Sample(logits).Should().Equal(expected);
        var zero = new Sampler(new SamplingOptions { Temperature = 0, TopK = 5, TopP = 0.5, Seed = 3 });
        zero.Sample(logits).Should().Equal(expected);
    }

    [Fact]
    public void An_ngram_model_is_mixed_with_the_logits_before_choosing_reading_each_rows_history()
    {
        using var scope = NewDisposeScope();
        long[] text = [0, 1, 2, 3, 0, 1, 2, 4, 0, 1, 2, 3, 4, 4, 1, 2, 3, 0, 1, 2];
        var ngram = KneserNeyModel.Train(text, vocabSize: 6, maxOrder: 3);
        int[][] history = [[0, 1, 2], [4, 1]];
        // The network prefers token 5, which the n-gram never saw, with 4 (row 0) or 2 (row 1) close behind.
        var logits = tensor(new float[] { 0, 0, 0, 0, 3.0f, 3.2f, 0, 0, 1.5f, 0, 0, 1.6f }, [2, 6]);

        int[] Choose(double weight) => new Sampler(SamplingOptions.Greedy with { Ngram = ngram, NgramOrder = 3, NgramWeight = weight }).Sample(logits, history);

        // Expected: the argmax of (1 - w) softmax(logits) + w p_ngram, worked out independently here.
        int[] Expected(double weight) => [.. Enumerable.Range(0, 2).Select(row =>
        {
            var values = logits[row].data<float>().ToArray().Select(v => Math.Exp(v)).ToArray();
            var total = values.Sum();
            var context = history[row].TakeLast(2).Select(id => (long)id).ToArray();
            var mixed = Enumerable.Range(0, 6).Select(id => ((1 - weight) * values[id] / total) + (weight * ngram.Probability(context, id, 3))).ToArray();
            return Array.IndexOf(mixed, mixed.Max());
        })];

        Choose(0).Should().Equal([5, 5], "weight 0 is the network alone");
        Choose(1).Should().Equal(Expected(1)).And.Equal([3, 2], "weight 1 is the n-gram alone: 3 follows 1 2, and 2 follows 1");
        Choose(0.45).Should().Equal(Expected(0.45));
        Expected(0.45).Should().NotEqual(Expected(0)).And.NotEqual(Expected(1), "the case is chosen so the mixture picks what neither part picks alone in some row");
        FluentActions.Invoking(() => new Sampler(SamplingOptions.Greedy with { Ngram = ngram }).Sample(logits)).Should().Throw<ArgumentException>().WithMessage("*tokens so far*");
        FluentActions.Invoking(() => new Sampler(SamplingOptions.Greedy with { Ngram = ngram, NgramWeight = 1.5 })).Should().Throw<ArgumentException>().WithMessage("*NgramWeight*");
        using var wider = zeros(2, 7);
        FluentActions.Invoking(() => new Sampler(SamplingOptions.Greedy with { Ngram = ngram }).Sample(wider, history)).Should().Throw<ArgumentException>().WithMessage("*6 token ids*7*");
    }

    [Fact]
    public void Top_k_never_returns_a_token_outside_the_k_best()
    {
        using var scope = NewDisposeScope();
        var logits = RandomLogits(1, 40, 2);
        var best = logits[0].topk(5).indexes.data<long>().ToArray().Select(v => (int)v).ToHashSet();
        var sampler = new Sampler(new SamplingOptions { TopK = 5, Temperature = 2.0, Seed = 4 });
        var seen = new HashSet<int>();
        for (var i = 0; i < 500; i++)
        {
            seen.Add(sampler.Sample(logits)[0]);
        }

        seen.Should().BeSubsetOf(best);
        seen.Should().HaveCountGreaterThan(2, "at temperature 2 several of the five should be drawn");
    }

    [Fact]
    public void Top_p_keeps_exactly_the_nucleus_of_a_hand_computed_distribution()
    {
        using var scope = NewDisposeScope();
        // Probabilities 0.5, 0.25, 0.15, 0.1: mass before each is 0, 0.5, 0.75, 0.9.
        var logits = tensor(new[] { 0.25f, 0.5f, 0.1f, 0.15f }).log();
        var p70 = new Sampler(new SamplingOptions { TopP = 0.7, Seed = 5 });
        var distribution = p70.Distribution(logits);
        distribution[1].Should().BeApproximately(2f / 3, 1e-5f);
        distribution[0].Should().BeApproximately(1f / 3, 1e-5f);
        distribution[2].Should().Be(0);
        distribution[3].Should().Be(0);
        var drawn = Enumerable.Range(0, 400).Select(_ => p70.Sample(logits)[0]).ToHashSet();
        drawn.Should().BeEquivalentTo([0, 1]);

        var p80 = new Sampler(new SamplingOptions { TopP = 0.8, Seed = 5 });
        var wider = p80.Distribution(logits);
        wider[2].Should().Be(0);
        wider[3].Should().BeApproximately(0.15f / 0.9f, 1e-5f);
    }

    [Fact]
    public void Same_seed_gives_same_tokens_and_different_seeds_differ()
    {
        using var scope = NewDisposeScope();
        var logits = zeros(1, 1000); // uniform: as high-entropy as it gets
        int[] Draw(long seed)
        {
            var sampler = new Sampler(new SamplingOptions { Seed = seed });
            return Enumerable.Range(0, 20).Select(_ => sampler.Sample(logits)[0]).ToArray();
        }

        Draw(7).Should().Equal(Draw(7));
        Draw(7).Should().NotEqual(Draw(8));
    }

    [Fact]
    public void Repetition_penalty_lowers_seen_tokens()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new[] { 2.0f, 1.9f, -1f });
        var sampler = new Sampler(new SamplingOptions { Temperature = 0, RepetitionPenalty = 1.5 });
        sampler.Sample(logits, [new[] { 0 }]).Should().Equal(1);
        sampler.Sample(logits, [Array.Empty<int>()]).Should().Equal(0);
    }

    [Fact]
    public void The_no_repeat_ban_removes_exactly_the_tokens_that_would_repeat_an_ngram()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new[] { 0f, 3f, 2f, 1f, 0.5f });
        var bigrams = new Sampler(new SamplingOptions { Temperature = 0, NoRepeatNgramSize = 2 });
        // After "3" the history already holds "3 1": 1 is banned and the next best, 2, wins.
        bigrams.Sample(logits, [new[] { 3, 1, 3 }]).Should().Equal(2);
        // "3 1" and "3 2" both seen: both banned.
        bigrams.Sample(logits, [new[] { 3, 1, 3, 2, 3 }]).Should().Equal(3);
        // The last token never came before: nothing is banned.
        bigrams.Sample(logits, [new[] { 1, 2, 4 }]).Should().Equal(1);

        var trigrams = new Sampler(new SamplingOptions { Temperature = 0, NoRepeatNgramSize = 3 });
        trigrams.Sample(logits, [new[] { 4, 1, 3, 4 }]).Should().Equal(new[] { 1 }, "the last two tokens, \"3 4\", never came before, so nothing is banned");
        trigrams.Sample(logits, [new[] { 3, 4, 1, 2, 3, 4 }]).Should().Equal(new[] { 2 }, "\"3 4\" was followed by 1");

        var sampled = new Sampler(new SamplingOptions { Temperature = 1, NoRepeatNgramSize = 1, Seed = 3 });
        Enumerable.Range(0, 50).Select(_ => sampled.Sample(logits, [new[] { 1, 2, 3 }])[0]).Should().OnlyContain(t => t == 0 || t == 4, "size 1 bans every token seen");
        var act = () => bigrams.Sample(logits);
        act.Should().Throw<ArgumentException>().WithMessage("*needs each row's tokens*");
    }

    [Theory]
    [InlineData(-0.5, 0, 1.0, 1.0, nameof(SamplingOptions.Temperature))]
    [InlineData(1.0, -1, 1.0, 1.0, nameof(SamplingOptions.TopK))]
    [InlineData(1.0, 0, 0.0, 1.0, nameof(SamplingOptions.TopP))]
    [InlineData(1.0, 0, 1.5, 1.0, nameof(SamplingOptions.TopP))]
    [InlineData(1.0, 0, 1.0, 0.0, nameof(SamplingOptions.RepetitionPenalty))]
    public void Invalid_options_are_rejected_naming_the_field(double temperature, int topK, double topP, double penalty, string field)
    {
        var options = new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP, RepetitionPenalty = penalty };
        var act = () => new Sampler(options);
        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == field && e.Message.Contains(field));
    }

    [Fact]
    public void A_negative_no_repeat_size_is_rejected_naming_the_field()
    {
        var act = () => new Sampler(new SamplingOptions { NoRepeatNgramSize = -1 });
        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == nameof(SamplingOptions.NoRepeatNgramSize) && e.Message.Contains("use 0 to turn it off"));
    }
}
