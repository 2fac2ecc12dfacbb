using System.Globalization;

namespace TinyGpt.Tokenization;

/// <summary>
/// A hand-written scanner that splits text exactly like the GPT-2 pre-tokenization regex
/// (<see cref="Pattern"/>) does under .NET regex semantics (one UTF-16 char at a time), but without
/// the regex engine's cost. Tests check it against the regex on random text.
/// </summary>
internal static class Gpt2PreTokenizer
{
    /// <summary>The GPT-2 pre-tokenization pattern this scanner reproduces.</summary>
    public const string Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Names the pre-tokenizer in fingerprints, so a different split rule gives a different fingerprint.</summary>
    public const string Tag = "gpt2-regex+byte-level";

    private const byte Other = 0;
    private const byte Letter = 1;
    private const byte Number = 2;
    private const byte Space = 3;

    private static readonly byte[] Latin1Classes = BuildLatin1Classes();

    /// <summary>The length of the pre-token that starts at <paramref name="start"/>.</summary>
    public static int PieceLength(ReadOnlySpan<char> text, int start)
    {
        int n = text.Length;
        char c = text[start];
        if (c == '\'' && start + 1 < n)
        {
            char d = text[start + 1];
            if (d is 's' or 't' or 'm' or 'd')
            {
                return 2;
            }

            if (start + 2 < n)
            {
                char e = text[start + 2];
                if ((d == 'r' && e == 'e') || (d == 'v' && e == 'e') || (d == 'l' && e == 'l'))
                {
                    return 3;
                }
            }
        }

        byte cls = Classify(c);
        if (c == ' ' && start + 1 < n)
        {
            byte nextCls = Classify(text[start + 1]);
            if (nextCls != Space)
            {
                return 1 + RunLength(text, start + 1, nextCls);
            }
        }

        if (cls != Space)
        {
            return RunLength(text, start, cls);
        }

        int end = start + 1;
        while (end < n && Classify(text[end]) == Space)
        {
            end++;
        }

        // \s+(?!\S): at the end of text take the whole run; before a non-space leave the last
        // whitespace char for the next token (so " word" keeps its space), unless the run is one char.
        if (end == n || end - start == 1)
        {
            return end - start;
        }

        return end - start - 1;
    }

    /// <summary>The number of pre-tokens in <paramref name="text"/>.</summary>
    public static int Count(ReadOnlySpan<char> text)
    {
        int count = 0;
        for (int pos = 0; pos < text.Length; pos += PieceLength(text, pos))
        {
            count++;
        }

        return count;
    }

    /// <summary>
    /// Finds a position near <paramref name="from"/> where text can be cut without changing any pre-token:
    /// just after a lone newline that follows a non-space and precedes a non-space. Returns -1 if none.
    /// </summary>
    public static int FindSafeCut(ReadOnlySpan<char> text, int from)
    {
        for (int q = Math.Max(from, 2); q < text.Length; q++)
        {
            if (text[q - 1] == '\n' && !char.IsWhiteSpace(text[q - 2]) && !char.IsWhiteSpace(text[q]))
            {
                return q;
            }
        }

        return -1;
    }

    /// <summary>
    /// Cuts <paramref name="text"/> into consecutive chunks of roughly <paramref name="targetChars"/> at safe
    /// cuts (see <see cref="FindSafeCut"/>), so each chunk can be pre-tokenized on its own.
    /// </summary>
    public static List<(int Start, int Length)> CutIntoChunks(ReadOnlySpan<char> text, int targetChars)
    {
        var chunks = new List<(int Start, int Length)>();
        int start = 0;
        while (start < text.Length)
        {
            int cut = text.Length - start > 2 * targetChars ? FindSafeCut(text, start + targetChars) : -1;
            int end = cut < 0 ? text.Length : cut;
            chunks.Add((start, end - start));
            start = end;
        }

        return chunks;
    }

    private static int RunLength(ReadOnlySpan<char> text, int start, byte cls)
    {
        int end = start + 1;
        while (end < text.Length && Classify(text[end]) == cls)
        {
            end++;
        }

        return end - start;
    }

    private static byte Classify(char c)
    {
        return c < 256 ? Latin1Classes[c] : ClassifySlow(c);
    }

    // .NET's \s is char.IsWhiteSpace; \p{L} and \p{N} are the letter and number categories of the UTF-16 char.
    private static byte ClassifySlow(char c)
    {
        if (char.IsWhiteSpace(c))
        {
            return Space;
        }

        return CharUnicodeInfo.GetUnicodeCategory(c) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Number,
            _ => Other,
        };
    }

    private static byte[] BuildLatin1Classes()
    {
        var classes = new byte[256];
        for (int c = 0; c < 256; c++)
        {
            classes[c] = ClassifySlow((char)c);
        }

        return classes;
    }
}
