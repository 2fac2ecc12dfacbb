using TinyGpt.Distributed.Diagnostics;
using TinyGpt.Training;

namespace TinyGpt.Distributed.Tests.Diagnostics;

public sealed class AllReduceMeasurementTests
{
    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(2, 1.0)]
    [InlineData(4, 1.5)]
    [InlineData(8, 1.75)]
    public void Bus_bandwidth_factor_is_two_times_n_minus_one_over_n(int ranks, double factor) =>
        AllReduceMeasurement.BusBandwidthFactor(ranks).Should().BeApproximately(factor, 1e-12);

    [Fact]
    public void Bandwidths_follow_the_nccl_tests_definitions()
    {
        var measurement = new AllReduceMeasurement(Bytes: 1_000_000, WorldSize: 4, Iterations: 10, TimePerOperation: TimeSpan.FromMilliseconds(1));

        measurement.AlgorithmBandwidth.Should().BeApproximately(1e9, 1);
        measurement.BusBandwidth.Should().BeApproximately(1.5e9, 1);
    }

    [Fact]
    public void Benchmark_rejects_sizes_that_are_not_whole_float32_values()
    {
        var act = () => AllReduceBenchmark.Measure(SingleProcessCollective.Instance, bytes: 6);

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*multiple of 4*");
    }

    [Fact]
    public void Benchmark_reports_the_requested_size_and_iterations()
    {
        var measurement = AllReduceBenchmark.Measure(SingleProcessCollective.Instance, bytes: 4096, iterations: 3, warmupIterations: 1);

        measurement.Bytes.Should().Be(4096);
        measurement.WorldSize.Should().Be(1);
        measurement.Iterations.Should().Be(3);
        measurement.TimePerOperation.Should().BeGreaterThanOrEqualTo(TimeSpan.Zero);
    }
}
