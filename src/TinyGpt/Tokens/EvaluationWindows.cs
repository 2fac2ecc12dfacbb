namespace TinyGpt.Tokens;

/// <summary>
/// Covers a whole split with evaluation windows so that every predictable token (indices 1 to
/// Count - 1) is scored exactly once.
/// </summary>
/// <remarks>
/// Window starts advance by the stride. With <c>stride == contextLength</c> the windows do not
/// overlap; with a smaller stride each window after the first re-reads <c>contextLength - stride</c>
/// tokens as context and scores only the targets no earlier window scored (the sliding-window
/// perplexity of the GPT-2 paper and Hugging Face's guide). The final, possibly shorter, window is
/// included.
/// </remarks>
public static class EvaluationWindows
{
    /// <summary>Returns the windows for <paramref name="tokenCount"/> tokens, lazily, in order.</summary>
    /// <param name="tokenCount">Tokens in the split; fewer than 2 give no windows (nothing to predict).</param>
    /// <param name="contextLength">The model's context length T.</param>
    /// <param name="stride">How far each window starts after the previous one, from 1 to T.</param>
    public static IEnumerable<EvaluationWindow> Create(long tokenCount, int contextLength, int stride)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokenCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(contextLength);
        if (stride < 1 || stride > contextLength)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride,
                $"The stride must be between 1 and the context length {contextLength}; a larger stride would skip tokens.");
        }

        return Enumerate(tokenCount, contextLength, stride);
    }

    /// <summary>The number of targets all windows score together: <c>max(tokenCount - 1, 0)</c>.</summary>
    public static long ScoredTokenCount(long tokenCount) => Math.Max(tokenCount - 1, 0);

    private static IEnumerable<EvaluationWindow> Enumerate(long tokenCount, int contextLength, int stride)
    {
        // Input positions p predict token p + 1, so inputs run over [0, tokenCount - 1).
        var inputs = tokenCount - 1;
        long scoredUpTo = 0;
        for (long start = 0; scoredUpTo < inputs; start += stride)
        {
            var end = Math.Min(start + contextLength, inputs);
            yield return new EvaluationWindow(start, (int)(end - start), (int)(scoredUpTo - start));
            scoredUpTo = end;
        }
    }
}
