using TinyGpt.Modeling;
using TinyGpt.Ngrams;
using TinyGpt.Tokens;
using TinyGpt.Training;
using static TorchSharp.torch;

namespace TinyGpt.Tests.Ngrams;

public class KneserNeyModelTests
{
    private static readonly long[] Tokens = [.. Enumerable.Range(0, 600).Select(i => (long)((i * 7 % 13) ^ (i % 5)) % 16)];

    [Fact]
    public void A_unigram_is_the_discounted_count_plus_the_discounted_mass_spread_over_the_vocabulary()
    {
        var model = KneserNeyModel.Train([0, 0, 1], vocabSize: 3, maxOrder: 1, discount: 0.75);

        // Three tokens, two types: p(w) = max(c(w) - 0.75, 0) / 3 + 0.75 * 2 / 3 / 3.
        model.Probability([], 0, 1).Should().BeApproximately((1.25 / 3) + (0.5 / 3), 1e-12);
        model.Probability([], 1, 1).Should().BeApproximately((0.25 / 3) + (0.5 / 3), 1e-12);
        model.Probability([], 2, 1).Should().BeApproximately(0.5 / 3, 1e-12, "an unseen token keeps a share of the discounted mass");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Every_order_is_a_distribution_over_the_vocabulary(int order)
    {
        var model = KneserNeyModel.Train(Tokens, vocabSize: 16, maxOrder: 4);

        model.NormalisationError(Tokens, order, contexts: 25).Should().BeLessThan(1e-9);
    }

    [Fact]
    public void The_next_token_distribution_holds_each_tokens_probability_and_sums_to_one()
    {
        var model = KneserNeyModel.Train(Tokens, vocabSize: 16, maxOrder: 3);
        var probabilities = new double[16];
        model.NextTokenProbabilities([3, 9], 3, probabilities);

        probabilities.Sum().Should().BeApproximately(1, 1e-9);
        probabilities.Select((p, id) => p - model.Probability([3, 9], id, 3)).Should().OnlyContain(d => d == 0);
        FluentActions.Invoking(() => model.NextTokenProbabilities([3], 2, new double[15])).Should().Throw<ArgumentException>().WithMessage("*16*");
    }

    [Fact]
    public void Ids_outside_the_vocabulary_and_orders_that_do_not_fit_are_refused_with_the_reason()
    {
        FluentActions.Invoking(() => KneserNeyModel.Train([0, 5], vocabSize: 4, maxOrder: 2)).Should().Throw<ArgumentException>().WithMessage("*5 is outside the vocabulary of 4*");
        FluentActions.Invoking(() => KneserNeyModel.Train([0, 1], vocabSize: 8000, maxOrder: 5)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*above 4 do not fit 64-bit keys*");
    }

    [Fact]
    public void Mixed_into_evaluation_it_weighs_each_token_and_reads_the_tokens_before_a_window()
    {
        using var model = new GptModel(GptConfig.Tiny with { VocabSize = 16, ContextLength = 8, EmbeddingSize = 32, LayerCount = 1, HeadCount = 2 }, seed: 3);
        var tokens = new TokenArray([.. Tokens.Select(t => (int)t)]);
        var ngram = KneserNeyModel.Train(Tokens[..400], vocabSize: 16, maxOrder: 3);
        EvaluationResult Score(KneserNeyModel? n, double weight) =>
            ModelEvaluator.Evaluate(model, tokens, new EvaluationSettings { ContextLength = 8, BatchSize = 4, Ngram = n, NgramWeight = weight });

        var alone = Score(null, 0);
        Score(ngram, 0).Loss.Should().BeApproximately(alone.Loss, 1e-6, "a weight of 0 is the model alone");

        // Weight 1 is the n-gram alone over the whole sequence: windows of 8 tokens must not cut its context.
        var ngramNats = ngram.ScoreSequence(Tokens, 3).Sum(p => -Math.Log(p));
        Score(ngram, 1).Loss.Should().BeApproximately(ngramNats / (Tokens.Length - 1), 1e-9);

        // In between, every token's probability is the weighted sum of the two models' (one window here).
        var probabilities = ModelProbabilities(model, Tokens[..9]);
        var expected = Enumerable.Range(1, 8).Sum(i => -Math.Log((0.7 * probabilities[i - 1]) + (0.3 * ngram.Probability(Tokens.AsSpan(Math.Max(0, i - 2), Math.Min(i, 2)), Tokens[i], 3)))) / 8;
        ModelEvaluator.Evaluate(model, new TokenArray([.. Tokens[..9].Select(t => (int)t)]), new EvaluationSettings { ContextLength = 8, Ngram = ngram, NgramWeight = 0.3 })
            .Loss.Should().BeApproximately(expected, 1e-6);
    }

    [Fact]
    public void Mixing_settings_that_cannot_work_are_refused()
    {
        using var model = new GptModel(GptConfig.Tiny with { VocabSize = 16, ContextLength = 8, EmbeddingSize = 32, LayerCount = 1, HeadCount = 2 }, seed: 3);
        var tokens = new TokenArray([.. Tokens.Select(t => (int)t)]);
        var ngram = KneserNeyModel.Train(Tokens, vocabSize: 16, maxOrder: 2);

        FluentActions.Invoking(() => ModelEvaluator.Evaluate(model, tokens, new EvaluationSettings { Ngram = ngram, NgramOrder = 3 })).Should().Throw<ArgumentException>().WithMessage("*order (3)*largest order*(2)*");
        FluentActions.Invoking(() => ModelEvaluator.Evaluate(model, tokens, new EvaluationSettings { Ngram = ngram, NgramWeight = 1.5 })).Should().Throw<ArgumentException>().WithMessage("*weight must be in ?0, 1? (got 1.5)*");
    }

    private static double[] ModelProbabilities(GptModel model, long[] sequence)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.eval();
        var input = tensor(sequence[..^1], [1, sequence.Length - 1]);
        var target = tensor(sequence[1..], [1, sequence.Length - 1]);
        var logProbabilities = nn.functional.log_softmax(model.forward(input), -1).gather(-1, target.unsqueeze(-1)).reshape(-1);
        return [.. logProbabilities.to(ScalarType.Float64).data<double>().ToArray().Select(Math.Exp)];
    }
}
