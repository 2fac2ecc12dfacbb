namespace TinyGpt.Tokens;

/// <summary>Range checks shared by the token sequences.</summary>
internal static class TokenRange
{
    internal static void Check(long start, int length, long count)
    {
        if (start < 0 || start > count - length)
        {
            throw new ArgumentOutOfRangeException(nameof(start), start,
                $"Tokens [{start}, {start + length}) do not lie within the sequence of {count} tokens.");
        }
    }
}
