using TinyGpt.Modeling;
using static TorchSharp.torch;

namespace TinyGpt.Tests.Modeling;

public class RowProductTests
{
    [Theory]
    [InlineData(1, 512, 1536, true)]
    [InlineData(3, 37, 61, true)]
    [InlineData(8, 64, 100, false)]
    [InlineData(16, 128, 2048, true)]
    public void It_multiplies_like_linear_for_any_row_count_and_shape(int rows, int inner, int outer, bool withBias)
    {
        manual_seed(rows + inner + outer);
        using var weight = randn(outer, inner);
        using var bias = withBias ? randn(outer) : null;
        using var input = randn(rows, inner);
        using var packed = RowProduct.Pack(weight);
        using var expected = nn.functional.linear(input, weight, bias);

        foreach (var threads in new[] { 1, 2, 3 })
        {
            using var actual = RowProduct.Multiply(input, packed, outer, bias, threads);
            actual.shape.Should().Equal(rows, outer);
            (actual - expected).abs().max().item<float>().Should().BeLessThan(1e-4f * MathF.Sqrt(inner), $"{threads} threads");
        }
    }

    [Fact]
    public void A_rows_result_does_not_depend_on_the_rows_beside_it_or_the_thread_count()
    {
        manual_seed(3);
        using var weight = randn(1000, 512);
        using var bias = randn(1000);
        using var input = randn(7, 512);
        using var packed = RowProduct.Pack(weight);
        using var batched = RowProduct.Multiply(input, packed, 1000, bias, threads: 2);
        for (var row = 0; row < 7; row++)
        {
            using var one = input.narrow(0, row, 1);
            using var alone = RowProduct.Multiply(one, packed, 1000, bias, threads: 1);
            using var inBatch = batched.narrow(0, row, 1);
            alone.SameAs(inBatch).Should().BeTrue($"row {row} alone and in a batch of 7 are summed in the same order");
        }
    }

    // The 256-bit kernels take rows two at a time and a last one alone: odd and even counts, and
    // outputs that end inside a group of 32 columns.
    [Theory]
    [InlineData(3, 40, 61)]
    [InlineData(4, 64, 100)]
    [InlineData(5, 37, 48)]
    [InlineData(6, 128, 200)]
    [InlineData(7, 64, 72)]
    [InlineData(8, 96, 130)]
    [InlineData(9, 48, 100)]
    [InlineData(10, 32, 17)]
    [InlineData(16, 256, 500)]
    public void The_256_bit_row_blocks_give_each_row_the_bits_it_gets_alone(int rows, int inner, int outer)
    {
        manual_seed(rows + inner);
        using var weight = randn(outer, inner);
        using var bias = randn(outer);
        using var input = randn(rows, inner);
        using var packed = RowProduct.Pack(weight);
        using var batched = RowProduct.Multiply(input, packed, outer, bias, threads: 2, wide: false);
        using var expected = nn.functional.linear(input, weight, bias);
        (batched - expected).abs().max().item<float>().Should().BeLessThan(1e-3f);
        for (var row = 0; row < rows; row++)
        {
            using var one = input.narrow(0, row, 1);
            using var alone = RowProduct.Multiply(one, packed, outer, bias, threads: 1, wide: false);
            using var inBatch = batched.narrow(0, row, 1);
            alone.SameAs(inBatch).Should().BeTrue($"row {row} of {rows} is the same chain of multiply-adds alone");
        }
    }

    [Theory]
    [InlineData(1, 512, 1000)]
    [InlineData(2, 64, 96)]
    [InlineData(5, 37, 61)]
    [InlineData(8, 128, 200)]
    [InlineData(7, 64, 128)]
    [InlineData(9, 48, 100)]
    [InlineData(11, 40, 70)]
    [InlineData(13, 96, 64)]
    [InlineData(16, 512, 2048)]
    public void The_512_bit_kernels_give_the_same_bits_as_the_256_bit_ones(int rows, int inner, int outer)
    {
        manual_seed(rows * inner);
        using var weight = randn(outer, inner);
        using var bias = randn(outer);
        using var input = randn(rows, inner);
        using var packed = RowProduct.Pack(weight);
        using var narrow = RowProduct.Multiply(input, packed, outer, bias, threads: 2, wide: false);
        using var wide = RowProduct.Multiply(input, packed, outer, bias, threads: 2, wide: true);
        wide.SameAs(narrow).Should().BeTrue("every output is the same chain of multiply-adds at either vector width (on a CPU without AVX-512 both run the 256-bit kernels)");
    }

    [Fact]
    public void It_refuses_rows_that_do_not_fit_the_packed_weight()
    {
        using var weight = randn(64, 32);
        using var packed = RowProduct.Pack(weight);
        using var wide = randn(1, 33);
        using var many = randn(RowProduct.MaxRows + 1, 32);
        FluentActions.Invoking(() => RowProduct.Multiply(wide, packed, 64, null, 1)).Should().Throw<ArgumentException>().WithMessage("*33 columns*32 inputs*");
        FluentActions.Invoking(() => RowProduct.Multiply(many, packed, 64, null, 1)).Should().Throw<ArgumentException>();
    }
}
