using TinyGpt.Tokens;

namespace TinyGpt.Tests.Data;

public sealed class EvaluationWindowsTests
{
    [Theory]
    [InlineData(100, 8, 8)]
    [InlineData(100, 8, 1)]
    [InlineData(100, 8, 3)]
    [InlineData(100, 8, 7)]
    [InlineData(97, 8, 8)]
    [InlineData(97, 16, 5)]
    [InlineData(9, 8, 8)]
    [InlineData(5, 8, 4)]
    [InlineData(2, 8, 8)]
    public void Every_token_after_the_first_is_scored_exactly_once(long tokens, int context, int stride)
    {
        var windows = EvaluationWindows.Create(tokens, context, stride).ToList();

        var scoredTargets = windows
            .SelectMany(w => Enumerable.Range(w.ScoredFrom, w.ScoredCount).Select(p => w.Start + p + 1))
            .ToList();
        scoredTargets.Should().Equal(Enumerable.Range(1, (int)tokens - 1).Select(t => (long)t), "each target 1..N-1 once, in order");
        windows.Sum(w => (long)w.ScoredCount).Should().Be(EvaluationWindows.ScoredTokenCount(tokens));
        windows.Should().OnlyContain(w => w.Length >= 1 && w.Length <= context && w.ScoredFrom >= 0 && w.ScoredCount >= 1 && w.Start + w.Length <= tokens - 1);
        (windows[^1].Start + windows[^1].Length).Should().Be(tokens - 1, "the final partial window is included");
    }

    [Fact]
    public void Stride_equal_to_context_gives_non_overlapping_windows_and_the_final_partial_one()
    {
        var windows = EvaluationWindows.Create(21, 8, 8).ToList();

        windows.Should().Equal(new EvaluationWindow(0, 8, 0), new EvaluationWindow(8, 8, 0), new EvaluationWindow(16, 4, 0));
    }

    [Fact]
    public void A_smaller_stride_keeps_context_and_scores_only_new_targets()
    {
        var windows = EvaluationWindows.Create(21, 8, 4).ToList();

        windows.Should().Equal(new EvaluationWindow(0, 8, 0), new EvaluationWindow(4, 8, 4), new EvaluationWindow(8, 8, 4), new EvaluationWindow(12, 8, 4));
    }

    [Fact]
    public void Window_tokens_are_read_with_the_last_target()
    {
        var tokens = new TokenArray(Enumerable.Range(100, 21).ToArray());
        var window = EvaluationWindows.Create(21, 8, 8).Last();
        var buffer = new long[window.Length + 1];

        window.ReadTokens(tokens, buffer);

        buffer.Should().Equal(116, 117, 118, 119, 120);
    }

    [Fact]
    public void Bad_strides_and_tiny_inputs_are_handled()
    {
        var tooLarge = () => EvaluationWindows.Create(100, 8, 9);
        tooLarge.Should().Throw<ArgumentOutOfRangeException>().Which.Message.Should().Contain("stride");
        var zero = () => EvaluationWindows.Create(100, 8, 0);
        zero.Should().Throw<ArgumentOutOfRangeException>();
        EvaluationWindows.Create(1, 8, 8).Should().BeEmpty();
        EvaluationWindows.Create(0, 8, 8).Should().BeEmpty();
    }
}
