namespace TinyGpt.Text;

/// <summary>
/// Word counts of a text: whitespace-separated words, lines, and their sum, which is how the
/// WikiText paper counts tokens (one end-of-sentence token per line).
/// </summary>
/// <param name="Lines">Lines, each ended by <c>\n</c>; a last line without one counts too.</param>
/// <param name="WhitespaceWords">Runs of non-whitespace characters.</param>
public readonly record struct WordCount(long Lines, long WhitespaceWords)
{
    /// <summary>Whitespace-separated words plus one per line, the WikiText paper's token count.</summary>
    public long Words => WhitespaceWords + Lines;
}
