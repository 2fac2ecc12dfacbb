using System.Text;
using TinyGpt.Tokenization;

namespace TinyGpt.Tests.Data;

/// <summary>A test-only tokenizer: one id per UTF-8 byte. Counts Encode calls so tests can see whether a cache was reused.</summary>
internal sealed class ByteTokenizer(int vocabSize = 256, string fingerprint = "bytes-v1", int offset = 0) : ITextTokenizer
{
    private int _encodeCalls;

    public int VocabSize { get; } = vocabSize;

    public int? EndOfTextId => null;

    public IReadOnlyDictionary<string, int> SpecialTokens { get; } = new Dictionary<string, int>();

    public string Fingerprint { get; } = fingerprint;

    public int EncodeCalls => Volatile.Read(ref _encodeCalls);

    public int[] Encode(string text)
    {
        Interlocked.Increment(ref _encodeCalls);
        return Encoding.UTF8.GetBytes(text).Select(b => b + offset).ToArray();
    }

    public string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new byte[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            bytes[i] = (byte)(ids[i] - offset);
        }

        return Encoding.UTF8.GetString(bytes);
    }
}
