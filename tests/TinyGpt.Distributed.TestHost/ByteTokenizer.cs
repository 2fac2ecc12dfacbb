using System.Text;
using TinyGpt.Tokenization;

namespace TinyGpt.Distributed.TestHost;

/// <summary>A test-only tokenizer: one id per UTF-8 byte, so training data can be built in memory.</summary>
internal sealed class ByteTokenizer : ITextTokenizer
{
    public int VocabSize => 256;

    public int? EndOfTextId => null;

    public IReadOnlyDictionary<string, int> SpecialTokens { get; } = new Dictionary<string, int>();

    public string Fingerprint => "testhost-bytes-v1";

    public int[] Encode(string text) => Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();

    public string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new byte[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            bytes[i] = (byte)ids[i];
        }

        return Encoding.UTF8.GetString(bytes);
    }
}
