namespace TinyGpt.Tokens;

/// <summary>
/// One evaluation window: inputs are tokens <c>[Start, Start + Length)</c> and targets
/// <c>[Start + 1, Start + Length]</c>. Only target positions <c>[ScoredFrom, Length)</c> count
/// toward the loss; earlier positions are context already scored by a previous window.
/// </summary>
/// <param name="Start">The index of the first input token.</param>
/// <param name="Length">Input (and target) positions, at most the context length; the last window may be shorter.</param>
/// <param name="ScoredFrom">The first position whose target is scored.</param>
public readonly record struct EvaluationWindow(long Start, int Length, int ScoredFrom)
{
    /// <summary>Scored targets in this window: <c>Length - ScoredFrom</c>.</summary>
    public int ScoredCount => Length - ScoredFrom;

    /// <summary>Copies the window's <c>Length + 1</c> tokens (input followed by the last target) into <paramref name="destination"/>.</summary>
    public void ReadTokens(ITokenSequence tokens, Span<long> destination)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (destination.Length != Length + 1)
        {
            throw new ArgumentException($"The window needs room for {Length + 1} tokens; the destination holds {destination.Length}.", nameof(destination));
        }

        tokens.CopyTo(Start, destination);
    }
}
