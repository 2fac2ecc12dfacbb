namespace TinyGpt.Tokenization;

/// <summary>
/// The tokenizer for a vocabulary trained by <see cref="BpeTrainer"/> (or any Hugging Face byte-level
/// BPE pair): GPT-2 pre-tokenization, byte-level BPE, special tokens only ever by id. Thread-safe.
/// </summary>
public sealed class BpeTextTokenizer : ITextTokenizer
{
    private readonly ByteLevelBpeEncoder _encoder;

    /// <summary>Creates a tokenizer for <paramref name="vocabulary"/>.</summary>
    public BpeTextTokenizer(BpeVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        Vocabulary = vocabulary;
        _encoder = new ByteLevelBpeEncoder(vocabulary);
        EndOfTextId = vocabulary.SpecialTokens.TryGetValue("</s>", out int end) ? end
            : vocabulary.SpecialTokens.TryGetValue("<|endoftext|>", out end) ? end
            : null;
    }

    /// <summary>The vocabulary and merges this tokenizer uses.</summary>
    public BpeVocabulary Vocabulary { get; }

    /// <inheritdoc />
    public int VocabSize => Vocabulary.Tokens.Count;

    /// <summary>The id of <c>&lt;/s&gt;</c>, else of <c>&lt;|endoftext|&gt;</c>, when that is a special token; otherwise null.</summary>
    public int? EndOfTextId { get; }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, int> SpecialTokens => Vocabulary.SpecialTokens;

    /// <inheritdoc />
    public string Fingerprint => Vocabulary.Fingerprint;

    /// <summary>Loads <c>vocab.json</c> and <c>merges.txt</c> from <paramref name="directory"/>.</summary>
    public static BpeTextTokenizer Load(string directory) => new(BpeVocabulary.Load(directory));

    /// <summary>
    /// Encodes <paramref name="text"/>; text that looks like a special token is encoded as ordinary text.
    /// Invalid UTF-16 (a lone surrogate) is encoded as U+FFFD, as UTF-8 encoding does.
    /// </summary>
    public int[] Encode(string text) => _encoder.Encode(text);

    /// <inheritdoc />
    public string Decode(ReadOnlySpan<int> ids) => _encoder.Decode(ids);
}
