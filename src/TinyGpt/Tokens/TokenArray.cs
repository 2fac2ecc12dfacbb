namespace TinyGpt.Tokens;

/// <summary>Token ids held in memory; handy for small data and tests.</summary>
public sealed class TokenArray : ITokenSequence
{
    private readonly int[] _tokens;

    /// <summary>Wraps <paramref name="tokens"/> without copying; do not change the array afterwards.</summary>
    public TokenArray(int[] tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        _tokens = tokens;
    }

    /// <inheritdoc />
    public long Count => _tokens.Length;

    /// <summary>The token at <paramref name="index"/>.</summary>
    public int this[long index] => _tokens[index];

    /// <inheritdoc />
    public void CopyTo(long start, Span<long> destination)
    {
        TokenRange.Check(start, destination.Length, Count);
        var source = _tokens.AsSpan((int)start, destination.Length);
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = source[i];
        }
    }
}
