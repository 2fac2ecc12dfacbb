using TinyGpt.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Tests.Modeling;

public class DecodeAttentionTests
{
    private const int Heads = 3;
    private const int HeadSize = 8;
    private const int Width = Heads * HeadSize;
    private const int Context = 12;

    // Head size 8 takes the portable kernel; multiples of 16 the register kernel where AVX-512 is.
    [Theory]
    [InlineData(HeadSize, true)]
    [InlineData(16, true)]
    [InlineData(48, true)]
    [InlineData(64, true)]
    [InlineData(64, false)]
    [InlineData(80, true)]
    public void Each_row_writes_its_new_key_and_value_at_its_length_and_attends_like_sdpa_over_its_own_positions(int headSize, bool registers)
    {
        manual_seed(5 + headSize);
        var width = Heads * headSize;
        int[] lengths = [4, 0, 11, 7];
        using var keys = randn(6, Heads, Context, headSize);
        using var values = randn(6, Heads, Context, headSize);
        using var qkv = randn(lengths.Length, 1, 3 * width);
        using var keysBefore = keys.clone();
        using var valuesBefore = values.clone();
        const double scale = 0.7;

        using var output = DecodeAttention.Step(qkv, keys, values, lengths, Heads, scale, threads: 1, registers);

        output.shape.Should().Equal(lengths.Length, 1, width);
        for (var row = 0; row < lengths.Length; row++)
        {
            var n = lengths[row];
            using var parts = qkv[row].view(1, 3, Heads, headSize).transpose(1, 2); // [1, heads, 3, head size]... per head: q, k, v
            using var query = parts.select(2, 0).unsqueeze(2).transpose(0, 1); // [heads, 1, 1, head size]
            using var newKey = parts.select(2, 1).transpose(0, 1); // [heads, 1, head size]
            using var newValue = parts.select(2, 2).transpose(0, 1);
            using var writtenKey = keys[row].narrow(1, n, 1).squeeze(1); // [heads, head size]
            using var writtenValue = values[row].narrow(1, n, 1).squeeze(1);
            using var newKeyRows = newKey.squeeze(1);
            using var newValueRows = newValue.squeeze(1);
            writtenKey.SameAs(newKeyRows).Should().BeTrue($"row {row}'s new key goes at slot {n}");
            writtenValue.SameAs(newValueRows).Should().BeTrue($"row {row}'s new value goes at slot {n}");
            using var untouchedKeys = keys[row].narrow(1, 0, n);
            using var keysThen = keysBefore[row].narrow(1, 0, n);
            untouchedKeys.SameAs(keysThen).Should().BeTrue("the cached positions stay as they were");

            using var seenKeys = keys[row].narrow(1, 0, n + 1).unsqueeze(1); // [heads, 1, n + 1, head size]
            using var seenValues = values[row].narrow(1, 0, n + 1).unsqueeze(1);
            // SDPA divides by sqrt(head size); scaling the queries gives it the scores q . k x scale.
            using var queryScale = (scale * Math.Sqrt(headSize)).ToScalar();
            using var scaledQuery = query.mul(queryScale);
            using var expected = nn.functional.scaled_dot_product_attention(scaledQuery, seenKeys, seenValues).reshape(width);
            using var actual = output[row].reshape(width);
            (actual - expected).abs().max().item<float>().Should().BeLessThan(1e-5f, $"row {row} attends over its {n + 1} positions ({(registers && DecodeAttention.UsesRegisters(headSize) ? "register" : "portable")} kernel)");
        }

        using var spareKeys = keys.narrow(0, lengths.Length, 2);
        using var spareValues = values.narrow(0, lengths.Length, 2);
        using var spareKeysThen = keysBefore.narrow(0, lengths.Length, 2);
        using var spareValuesThen = valuesBefore.narrow(0, lengths.Length, 2);
        spareKeys.SameAs(spareKeysThen).Should().BeTrue("rows past the live ones are not touched");
        spareValues.SameAs(spareValuesThen).Should().BeTrue();
    }

    [Fact]
    public void A_rows_output_does_not_depend_on_the_rows_beside_it_or_the_thread_count()
    {
        // Long enough rows (308 k keys read) that two threads split the work.
        const int heads = 4, headSize = 64, context = 512;
        manual_seed(6);
        int[] lengths = [400, 500, 300];
        using var keys = randn(3, heads, context, headSize);
        using var values = randn(3, heads, context, headSize);
        using var qkv = randn(3, 1, 3 * heads * headSize);
        using var middle = qkv.narrow(0, 1, 1);
        using var aloneKeys = keys.narrow(0, 1, 1).clone();
        using var aloneValues = values.narrow(0, 1, 1).clone();
        using var keysCopy = keys.clone();
        using var valuesCopy = values.clone();

        using var batched = DecodeAttention.Step(qkv, keys, values, lengths, heads, 0.125, threads: 2);
        using var oneThread = DecodeAttention.Step(qkv, keysCopy, valuesCopy, lengths, heads, 0.125, threads: 1);
        using var alone = DecodeAttention.Step(middle, aloneKeys, aloneValues, [500], heads, 0.125);
        using var inBatch = batched.narrow(0, 1, 1);

        alone.SameAs(inBatch).Should().BeTrue("each (row, head) is summed in the same order alone or in a batch");
        oneThread.SameAs(batched).Should().BeTrue("the thread count only splits the (row, head) pairs");
        keys.SameAs(keysCopy).Should().BeTrue("both wrote the same new keys");
    }

    [Fact]
    public void Large_scores_do_not_overflow_the_softmax()
    {
        using var thirty = 30f.ToScalar();
        using var keys = full([1, Heads, Context, HeadSize], thirty);
        using var values = ones(1, Heads, Context, HeadSize);
        using var qkv = full([1, 1, 3 * Width], thirty);

        using var output = DecodeAttention.Step(qkv, keys, values, [5], Heads, 1.0);

        output.isfinite().all().item<bool>().Should().BeTrue("scores of 7,200 are shifted by their maximum before exp");
    }

    [Fact]
    public void It_refuses_a_row_with_a_full_context_and_a_projection_that_does_not_fit_the_cache()
    {
        using var keys = zeros(2, Heads, Context, HeadSize);
        using var values = zeros(2, Heads, Context, HeadSize);
        using var qkv = zeros(2, 1, 3 * Width);
        using var narrow = zeros(2, 1, 3 * (Width - Heads));

        FluentActions.Invoking(() => DecodeAttention.Step(qkv, keys, values, [3, Context], Heads, 1.0)).Should().Throw<ArgumentException>().WithMessage($"*{Context} of {Context} positions*");
        FluentActions.Invoking(() => DecodeAttention.Step(narrow, keys, values, [3, 4], Heads, 1.0)).Should().Throw<ArgumentException>().WithMessage("*does not fit*");
        using var oneRow = keys.narrow(0, 0, 1);
        FluentActions.Invoking(() => DecodeAttention.Step(qkv, oneRow, values, [3, 4], Heads, 1.0)).Should().Throw<ArgumentException>();
    }
}
