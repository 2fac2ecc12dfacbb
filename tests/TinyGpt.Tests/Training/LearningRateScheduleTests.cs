using TinyGpt.Training;

namespace TinyGpt.Tests.Training;

public class LearningRateScheduleTests
{
    [Fact]
    public void Warmup_reaches_the_peak_and_the_last_step_reaches_the_minimum()
    {
        var schedule = new LearningRateSchedule(peak: 1e-3, minimum: 1e-4, warmupSteps: 10, totalSteps: 100);
        schedule.At(0).Should().BeApproximately(1e-4, 1e-12);
        schedule.At(9).Should().Be(1e-3);
        schedule.At(10).Should().Be(1e-3);
        schedule.At(99).Should().Be(1e-4);
        schedule.At(54).Should().BeApproximately(5.5e-4, 1e-5, "half way through the decay is half way between peak and minimum");
        Enumerable.Range(10, 90).Select(schedule.At).Should().BeInDescendingOrder();
    }

    [Fact]
    public void Bad_schedules_are_rejected()
    {
        FluentActions.Invoking(() => new LearningRateSchedule(1e-3, 1e-4, 100, 100)).Should().Throw<ArgumentException>().WithMessage("*Warmup*");
        FluentActions.Invoking(() => new LearningRateSchedule(0, 0, 0, 10)).Should().Throw<ArgumentException>().WithMessage("*peak*");
        FluentActions.Invoking(() => new LearningRateSchedule(1e-3, 2e-3, 0, 10)).Should().Throw<ArgumentException>().WithMessage("*minimum*");
    }
}
