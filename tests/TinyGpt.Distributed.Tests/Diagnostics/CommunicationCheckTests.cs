using TinyGpt.Distributed.Diagnostics;
using TinyGpt.Training;
using TorchSharp;

namespace TinyGpt.Distributed.Tests.Diagnostics;

public sealed class CommunicationCheckTests
{
    private static CommunicationCheckOptions Quick(int? faultRank = null) => new()
    {
        ElementCounts = [1, 1000],
        BandwidthBytes = [8, 4096],
        Iterations = 2,
        WarmupIterations = 1,
        BarrierIterations = 2,
        InjectFaultOnRank = faultRank,
    };

    [Fact]
    public void Passes_on_a_single_process()
    {
        var report = CommunicationCheck.Run(SingleProcessCollective.Instance, Quick());

        report.Passed.Should().BeTrue();
        report.WorldSize.Should().Be(1);
        report.Ranks.Should().ContainSingle().Which.ProcessId.Should().Be(Environment.ProcessId);
        report.Correctness.Should().HaveCount(8).And.OnlyContain(check => check.Passed);
        report.Bandwidth.Select(m => m.Bytes).Should().Equal(8, 4096);
        report.ToTable().Should().Contain("Result: PASSED").And.Contain("Int64").And.Contain("busbw");
    }

    [Fact]
    public void An_injected_fault_fails_the_check_and_the_table_says_which()
    {
        var report = CommunicationCheck.Run(SingleProcessCollective.Instance, Quick(faultRank: 0));

        report.Passed.Should().BeFalse();
        report.FailureCount.Should().Be(1);
        report.Correctness[0].Should().Be(new AllReduceCorrectness(torch.ScalarType.Float32, 1, 1));
        report.ToTable().Should().Contain("FAILED (1 of 8 checks)");
    }

    [Fact]
    public void A_fault_on_another_rank_does_not_touch_this_one()
    {
        var report = CommunicationCheck.Run(SingleProcessCollective.Instance, Quick(faultRank: 3));

        report.Passed.Should().BeTrue();
    }

    [Fact]
    public void Unsupported_options_are_rejected_with_the_option_name()
    {
        var badType = () => CommunicationCheck.Run(SingleProcessCollective.Instance, new CommunicationCheckOptions { DTypes = [torch.ScalarType.Bool] });
        var badSize = () => CommunicationCheck.Run(SingleProcessCollective.Instance, new CommunicationCheckOptions { ElementCounts = [0] });
        var badBytes = () => CommunicationCheck.Run(SingleProcessCollective.Instance, new CommunicationCheckOptions { BandwidthBytes = [6] });

        badType.Should().Throw<ArgumentException>().WithMessage("*DTypes*Float32*");
        badSize.Should().Throw<ArgumentException>().WithMessage("*ElementCounts*");
        badBytes.Should().Throw<ArgumentException>().WithMessage("*multiples of 4*");
    }

    [Theory]
    [InlineData(8L, 20, 1000)]
    [InlineData(1L << 20, 20, 256)]
    [InlineData(16L << 20, 20, 20)]
    [InlineData(64L << 20, 20, 20)]
    [InlineData(256L << 20, 20, 5)]
    [InlineData(4L << 30, 20, 3)]
    public void Timed_iterations_grow_for_small_messages_and_shrink_for_huge_ones(long bytes, int minimum, int expected) =>
        CommunicationCheck.IterationsFor(bytes, minimum).Should().Be(expected);
}
