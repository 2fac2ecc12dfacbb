namespace TinyGpt.Tokenization;

/// <summary>
/// GPT-2's reversible byte-to-character mapping: every byte gets a printable character, so byte-level
/// tokens can be stored in text files (vocab.json, merges.txt) without whitespace or control characters.
/// </summary>
internal static class ByteLevelAlphabet
{
    /// <summary>The character that stands for each byte value.</summary>
    public static readonly char[] ByteToChar = BuildByteToChar();

    /// <summary>The byte for each mapped character, or -1; indexed by character (all mapped characters are below 512).</summary>
    public static readonly short[] CharToByte = BuildCharToByte();

    /// <summary>
    /// Byte values in the order their characters sort (ordinal), which is the order Hugging Face gives the initial alphabet.
    /// </summary>
    public static readonly byte[] BytesInCharOrder = BuildBytesInCharOrder();

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)next++;
        }

        return map;
    }

    private static short[] BuildCharToByte()
    {
        var map = new short[512];
        Array.Fill(map, (short)-1);
        for (int b = 0; b < 256; b++)
        {
            map[ByteToChar[b]] = (short)b;
        }

        return map;
    }

    private static byte[] BuildBytesInCharOrder()
    {
        var bytes = new byte[256];
        for (int b = 0; b < 256; b++)
        {
            bytes[b] = (byte)b;
        }

        Array.Sort(bytes, (x, y) => ByteToChar[x].CompareTo(ByteToChar[y]));
        return bytes;
    }

    /// <summary>Maps UTF-8 bytes to their byte-level string.</summary>
    public static string ToByteLevelString(ReadOnlySpan<byte> bytes)
    {
        return string.Create(bytes.Length, bytes.ToArray(), static (chars, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                chars[i] = ByteToChar[source[i]];
            }
        });
    }

    /// <summary>Maps a byte-level string back to bytes, or returns null when it contains a character outside the alphabet.</summary>
    public static byte[]? TryToBytes(string byteLevel)
    {
        var bytes = new byte[byteLevel.Length];
        for (int i = 0; i < byteLevel.Length; i++)
        {
            char c = byteLevel[i];
            int b = c < CharToByte.Length ? CharToByte[c] : -1;
            if (b < 0)
            {
                return null;
            }

            bytes[i] = (byte)b;
        }

        return bytes;
    }
}
