namespace TinyGpt.Tokens;

/// <summary>A read-only sequence of token ids that samplers and evaluation windows read from.</summary>
public interface ITokenSequence
{
    /// <summary>The number of tokens.</summary>
    long Count { get; }

    /// <summary>Copies <c>destination.Length</c> tokens starting at <paramref name="start"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range does not lie within the sequence.</exception>
    void CopyTo(long start, Span<long> destination);
}
