namespace TinyGpt.Tokenization;

/// <summary>One BPE merge rule: the byte-level tokens <paramref name="Left"/> and <paramref name="Right"/> join into one token.</summary>
/// <param name="Left">The left token, in GPT-2 byte-level characters.</param>
/// <param name="Right">The right token, in GPT-2 byte-level characters.</param>
public readonly record struct BpeMerge(string Left, string Right)
{
    /// <summary>The token the merge produces.</summary>
    public string Merged => Left + Right;
}
