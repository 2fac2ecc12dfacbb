using TinyGpt.Generation;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Tests.Generation;

public class CandidateTokensTests
{
    // Vocabulary sizes below, at and past a block of 16, with k from 1 to all but one.
    [Theory]
    [InlineData(40, 5, 2.0)]
    [InlineData(16, 1, 1.0)]
    [InlineData(1000, 50, 0.8)]
    [InlineData(16_003, 50, 1.0)]
    [InlineData(37, 36, 1.5)]
    public void Top_k_keeps_torchs_k_best_with_the_probabilities_of_a_softmax_over_them(int vocab, int k, double temperature)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)(vocab + k), device("cpu"));
        using var three = 3.ToScalar();
        var logits = randn([vocab], generator: generator).mul(three);
        using var divisor = temperature.ToScalar();
        var (values, indices) = logits.div(divisor).topk(k);
        var expected = indices.data<long>().Select(i => (int)i).Zip(values.softmax(0).data<float>().ToArray()).OrderBy(p => p.First).ToArray();

        var candidates = new CandidateTokens();
        candidates.Fill(logits.data<float>().ToArray(), new SamplingOptions { TopK = k, Temperature = temperature });

        candidates.Ids.ToArray().Should().Equal(expected.Select(p => p.First), "the k best ids, ascending");
        for (var i = 0; i < k; i++)
        {
            candidates.Probabilities[i].Should().BeApproximately(expected[i].Second, 1e-6f);
        }
    }

    [Fact]
    public void Ties_go_to_the_lower_id_and_exactly_k_are_kept()
    {
        var logits = new float[100];
        logits[70] = 5;
        logits[3] = 5;
        logits[90] = 4;
        var candidates = new CandidateTokens();

        candidates.Fill(logits, new SamplingOptions { TopK = 5 });

        candidates.Ids.ToArray().Should().Equal(0, 1, 3, 70, 90);
    }

    [Fact]
    public void Without_top_k_every_token_is_a_candidate_and_minus_infinity_gets_probability_zero()
    {
        float[] logits = [1, float.NegativeInfinity, 2, 0];
        var candidates = new CandidateTokens();

        candidates.Fill(logits, new SamplingOptions());

        candidates.Count.Should().Be(4);
        candidates.Probabilities[1].Should().Be(0);
        candidates.Probabilities.ToArray().Sum().Should().BeApproximately(1, 1e-6f);
        candidates.Probabilities[2].Should().BeApproximately(MathF.Exp(2) / (MathF.E + MathF.Exp(2) + 1), 1e-6f);
    }

    [Fact]
    public void NaN_logits_and_a_row_of_minus_infinity_are_refused_with_what_went_wrong()
    {
        var candidates = new CandidateTokens();
        var nan = new float[40];
        nan[33] = float.NaN;
        var impossible = Enumerable.Repeat(float.NegativeInfinity, 40).ToArray();

        FluentActions.Invoking(() => candidates.Fill(nan, new SamplingOptions { TopK = 5 })).Should().Throw<InvalidOperationException>().WithMessage("*NaN logits*");
        FluentActions.Invoking(() => candidates.Fill(impossible, new SamplingOptions())).Should().Throw<InvalidOperationException>().WithMessage("*no token with positive probability*");
    }
}
