using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TinyGpt.Tokenization;

/// <summary>
/// A byte-level BPE vocabulary: tokens by id (in GPT-2 byte-level characters, special tokens as their
/// text) and merges in priority order. Saved as the Hugging Face pair <c>vocab.json</c> +
/// <c>merges.txt</c>, plus a <c>tokenizer.json</c> for Hugging Face <c>tokenizers</c>.
/// </summary>
public sealed class BpeVocabulary
{
    /// <summary>File name of the token-to-id map.</summary>
    public const string VocabFileName = "vocab.json";

    /// <summary>File name of the merge list.</summary>
    public const string MergesFileName = "merges.txt";

    /// <summary>File name of the Hugging Face <c>tokenizers</c> description written next to the pair.</summary>
    public const string TokenizerJsonFileName = "tokenizer.json";

    private const string MergesHeader = "#version: 0.2";

    private readonly string[] _tokens;
    private readonly BpeMerge[] _merges;
    private readonly Dictionary<string, int> _ids;

    internal BpeVocabulary(IReadOnlyList<string> tokens, IReadOnlyList<BpeMerge> merges)
    {
        _tokens = [.. tokens];
        _merges = [.. merges];
        _ids = new Dictionary<string, int>(_tokens.Length, StringComparer.Ordinal);
        for (int id = 0; id < _tokens.Length; id++)
        {
            if (!_ids.TryAdd(_tokens[id], id))
            {
                throw new InvalidDataException($"Token '{_tokens[id]}' appears twice (ids {_ids[_tokens[id]]} and {id}); every token must be unique.");
            }
        }

        for (int b = 0; b < 256; b++)
        {
            string symbol = ByteLevelAlphabet.ByteToChar[b].ToString();
            if (!_ids.ContainsKey(symbol))
            {
                throw new InvalidDataException($"The vocabulary lacks the byte symbol '{symbol}' (byte {b}); a byte-level BPE vocabulary needs all 256 byte symbols.");
            }
        }

        var produced = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < _merges.Length; i++)
        {
            BpeMerge merge = _merges[i];
            foreach (string part in (string[])[merge.Left, merge.Right, merge.Merged])
            {
                if (!_ids.ContainsKey(part))
                {
                    throw new InvalidDataException($"Merge {i + 1} ('{merge.Left} {merge.Right}') uses or makes '{part}', which is not in the vocabulary; the merges do not belong to this vocabulary.");
                }
            }

            produced.Add(merge.Merged);
        }

        // Whatever is neither a byte symbol nor made by a merge can only come from outside the text: a special token.
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < _tokens.Length; id++)
        {
            string token = _tokens[id];
            bool byteSymbol = token.Length == 1 && token[0] < ByteLevelAlphabet.CharToByte.Length && ByteLevelAlphabet.CharToByte[token[0]] >= 0;
            if (!byteSymbol && !produced.Contains(token))
            {
                specials[token] = id;
            }
        }

        SpecialTokens = specials;
        Fingerprint = ComputeFingerprint();
    }

    /// <summary>Tokens by id: special tokens as their text, others in GPT-2 byte-level characters.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>Merges in priority order (the first is applied first).</summary>
    public IReadOnlyList<BpeMerge> Merges => _merges;

    /// <summary>Special tokens and their ids: the entries no text can produce (neither byte symbols nor merge results).</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens { get; }

    /// <summary>Lowercase hex SHA-256 over the pre-tokenizer tag, the tokens by id and the merges.</summary>
    public string Fingerprint { get; }

    /// <summary>The id of <paramref name="token"/>, or null if it is not in the vocabulary.</summary>
    public int? GetId(string token) => _ids.TryGetValue(token, out int id) ? id : null;

    /// <summary>
    /// Loads <c>vocab.json</c> and <c>merges.txt</c> from <paramref name="directory"/>
    /// (as written by <see cref="Save"/> or by Hugging Face's byte-level BPE).
    /// </summary>
    public static BpeVocabulary Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string vocabPath = Path.Combine(directory, VocabFileName);
        string mergesPath = Path.Combine(directory, MergesFileName);
        foreach (string path in (string[])[vocabPath, mergesPath])
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"'{path}' is missing; a tokenizer folder needs {VocabFileName} and {MergesFileName} (train one with BpeTrainer and Save it there).", path);
            }
        }

        return new BpeVocabulary(ReadVocab(vocabPath), ReadMerges(mergesPath));
    }

    /// <summary>Writes <c>vocab.json</c>, <c>merges.txt</c> and <c>tokenizer.json</c> into <paramref name="directory"/>, creating it if needed.</summary>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, VocabFileName), WriteJson(WriteVocabObject));
        File.WriteAllText(Path.Combine(directory, MergesFileName), MergesText(), new UTF8Encoding(false));
        File.WriteAllBytes(Path.Combine(directory, TokenizerJsonFileName), WriteJson(WriteTokenizerJson));
    }

    internal static void ValidateSpecialTokens(IReadOnlyList<string> specialTokens)
    {
        if (specialTokens is null)
        {
            throw new ArgumentNullException(nameof(specialTokens), "SpecialTokens must not be null; use an empty list for no special tokens.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string token in specialTokens)
        {
            if (string.IsNullOrEmpty(token))
            {
                throw new ArgumentException("Special tokens must be non-empty strings; remove the empty or null entry.", nameof(specialTokens));
            }

            if (!seen.Add(token))
            {
                throw new ArgumentException($"Special token '{token}' is listed twice; list each once.", nameof(specialTokens));
            }

            if (token.Length == 1 && token[0] < ByteLevelAlphabet.CharToByte.Length && ByteLevelAlphabet.CharToByte[token[0]] >= 0)
            {
                throw new ArgumentException($"Special token '{token}' is also a byte symbol of the base alphabet; use a longer token such as '<{token}>'.", nameof(specialTokens));
            }
        }
    }

    private static List<string> ReadVocab(string path)
    {
        Dictionary<string, int>? map;
        try
        {
            map = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not a JSON object of token to id: {e.Message}", e);
        }

        if (map is null || map.Count == 0)
        {
            throw new InvalidDataException($"'{path}' holds no tokens; expected a JSON object of token to id.");
        }

        var tokens = new string?[map.Count];
        foreach (var (token, id) in map)
        {
            if (id < 0 || id >= tokens.Length || tokens[id] is not null)
            {
                throw new InvalidDataException($"'{path}' gives '{token}' the id {id}; ids must be 0..{tokens.Length - 1}, each used once.");
            }

            tokens[id] = token;
        }

        return [.. tokens.Select(t => t!)];
    }

    private static List<BpeMerge> ReadMerges(string path)
    {
        var merges = new List<BpeMerge>();
        string[] lines = File.ReadAllLines(path, Encoding.UTF8);
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.Length == 0 || (i == 0 && line.StartsWith("#version", StringComparison.Ordinal)))
            {
                continue;
            }

            string[] parts = line.Split(' ');
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            {
                throw new InvalidDataException($"'{path}' line {i + 1} is '{line}'; each merge line must be two tokens separated by one space.");
            }

            merges.Add(new BpeMerge(parts[0], parts[1]));
        }

        return merges;
    }

    private string MergesText()
    {
        var text = new StringBuilder(MergesHeader.Length + 1 + (_merges.Length * 10));
        text.Append(MergesHeader).Append('\n');
        foreach (BpeMerge merge in _merges)
        {
            text.Append(merge.Left).Append(' ').Append(merge.Right).Append('\n');
        }

        return text.ToString();
    }

    private static byte[] WriteJson(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(writer);
        }

        return stream.ToArray();
    }

    private void WriteVocabObject(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        for (int id = 0; id < _tokens.Length; id++)
        {
            writer.WriteNumber(_tokens[id], id);
        }

        writer.WriteEndObject();
    }

    // The Hugging Face tokenizers layout: byte-level pre-tokenizer with the GPT-2 regex and no prefix
    // space, byte-level decoder, BPE model; special tokens as added tokens.
    private void WriteTokenizerJson(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("version", "1.0");
        writer.WriteNull("truncation");
        writer.WriteNull("padding");
        writer.WriteStartArray("added_tokens");
        foreach (var (token, id) in SpecialTokens.OrderBy(kv => kv.Value))
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", id);
            writer.WriteString("content", token);
            writer.WriteBoolean("single_word", false);
            writer.WriteBoolean("lstrip", false);
            writer.WriteBoolean("rstrip", false);
            writer.WriteBoolean("normalized", false);
            writer.WriteBoolean("special", true);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteNull("normalizer");
        writer.WriteStartObject("pre_tokenizer");
        WriteByteLevelSettings(writer);
        writer.WriteEndObject();
        writer.WriteNull("post_processor");
        writer.WriteStartObject("decoder");
        WriteByteLevelSettings(writer);
        writer.WriteEndObject();
        writer.WriteStartObject("model");
        writer.WriteString("type", "BPE");
        writer.WriteNull("dropout");
        writer.WriteNull("unk_token");
        writer.WriteNull("continuing_subword_prefix");
        writer.WriteNull("end_of_word_suffix");
        writer.WriteBoolean("fuse_unk", false);
        writer.WriteBoolean("byte_fallback", false);
        writer.WriteBoolean("ignore_merges", false);
        writer.WritePropertyName("vocab");
        WriteVocabObject(writer);
        writer.WriteStartArray("merges");
        foreach (BpeMerge merge in _merges)
        {
            writer.WriteStartArray();
            writer.WriteStringValue(merge.Left);
            writer.WriteStringValue(merge.Right);
            writer.WriteEndArray();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteByteLevelSettings(Utf8JsonWriter writer)
    {
        writer.WriteString("type", "ByteLevel");
        writer.WriteBoolean("add_prefix_space", false);
        writer.WriteBoolean("trim_offsets", true);
        writer.WriteBoolean("use_regex", true);
    }

    private string ComputeFingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s) => hash.AppendData(Encoding.UTF8.GetBytes(s));
        Add(Gpt2PreTokenizer.Tag + "\n");
        foreach (string token in _tokens)
        {
            // Length-prefixed so special tokens containing newlines cannot alias other vocabularies.
            Add(token.Length.ToString(CultureInfo.InvariantCulture) + ":" + token + "\n");
        }

        Add("merges\n");
        foreach (BpeMerge merge in _merges)
        {
            Add(merge.Left + " " + merge.Right + "\n");
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
