using TinyGpt.Reporting;

namespace TinyGpt.Tests.Reporting;

public class NiceAxisTests
{
    [Theory]
    [InlineData(0, 1.23e6, 6, 0, 1.5e6, 5e5)]
    [InlineData(0, 1.23e6, 10, 0, 1.4e6, 2e5)]
    [InlineData(3.1, 10.9, 6, 2, 12, 2)]
    [InlineData(2.93, 3.41, 7, 2.9, 3.5, 0.1)]
    [InlineData(2.93, 3.41, 6, 2.8, 3.6, 0.2)]
    [InlineData(-0.7, 0.3, 3, -1, 1, 1)]
    public void Steps_are_one_two_or_five_times_a_power_of_ten_and_cover_the_data(
        double min, double max, int maxTicks, double axisMin, double axisMax, double step)
    {
        var axis = NiceAxis.Create(min, max, maxTicks);
        axis.Step.Should().BeApproximately(step, step * 1e-9);
        axis.Min.Should().BeApproximately(axisMin, step * 1e-9);
        axis.Max.Should().BeApproximately(axisMax, step * 1e-9);
        axis.Ticks.Count.Should().BeLessThanOrEqualTo(maxTicks);
        axis.Ticks[0].Should().BeApproximately(axisMin, step * 1e-9);
        axis.Ticks[^1].Should().BeApproximately(axisMax, step * 1e-9);
    }

    [Fact]
    public void Tight_axis_ends_at_the_data_with_ticks_inside()
    {
        var axis = NiceAxis.Create(0, 1.54e6, 8, tight: true);
        axis.Max.Should().Be(1.54e6);
        axis.Step.Should().Be(2e5);
        axis.Ticks.Should().HaveCount(8);
        axis.Ticks[^1].Should().BeApproximately(1.4e6, 1e-3);
    }

    [Fact]
    public void A_single_value_gets_a_range_around_it()
    {
        var axis = NiceAxis.Create(5, 5, 5);
        axis.Min.Should().BeLessThan(5);
        axis.Max.Should().BeGreaterThan(5);
        NiceAxis.Create(0, 0, 5).Ticks.Should().Contain(0);
    }

    [Fact]
    public void Bad_ranges_are_rejected()
    {
        var act = () => NiceAxis.Create(double.NaN, 1, 5);
        act.Should().Throw<ArgumentException>();
        act = () => NiceAxis.Create(2, 1, 5);
        act.Should().Throw<ArgumentException>();
        act = () => NiceAxis.Create(0, 1, 1);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData(0, 5e5, "0")]
    [InlineData(5e5, 5e5, "500K")]
    [InlineData(1e6, 5e5, "1M")]
    [InlineData(1.5e6, 5e5, "1.5M")]
    [InlineData(1.25e6, 2.5e5, "1.25M")]
    [InlineData(2.5e9, 5e8, "2.5B")]
    [InlineData(40, 20, "40")]
    [InlineData(2e12, 1e12, "2T")]
    public void Token_counts_are_compact(double value, double step, string expected) =>
        NiceAxis.FormatCompact(value, step).Should().Be(expected);

    [Theory]
    [InlineData(4, 1, 1, "4.0")]
    [InlineData(3.5, 0.5, 1, "3.5")]
    [InlineData(3.05, 0.05, 1, "3.05")]
    [InlineData(12, 2, 0, "12")]
    public void Losses_get_the_decimals_their_step_needs(double value, double step, int minDecimals, string expected) =>
        NiceAxis.FormatPlain(value, step, minDecimals).Should().Be(expected);
}
