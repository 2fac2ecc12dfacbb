namespace TinyGpt.Tokenization;

/// <summary>
/// Turns text into token ids and back. Implementations must round-trip any string exactly:
/// <c>Decode(Encode(s)) == s</c>.
/// </summary>
public interface ITextTokenizer
{
    /// <summary>The number of distinct token ids, special tokens included; ids are in [0, VocabSize).</summary>
    int VocabSize { get; }

    /// <summary>The id that separates documents and ends generation (for example <c>&lt;/s&gt;</c> or <c>&lt;|endoftext|&gt;</c>), or null when there is none.</summary>
    int? EndOfTextId { get; }

    /// <summary>Special tokens and their ids. Text that merely looks like a special token is encoded as ordinary text.</summary>
    IReadOnlyDictionary<string, int> SpecialTokens { get; }

    /// <summary>
    /// A stable hash of everything that decides the ids (vocabulary, merges, pre-tokenizer), so that
    /// cached token files and checkpoints can detect a different tokenizer.
    /// </summary>
    string Fingerprint { get; }

    /// <summary>Encodes <paramref name="text"/> without adding any special token.</summary>
    int[] Encode(string text);

    /// <summary>Decodes ids back to text; special tokens decode to their text.</summary>
    string Decode(ReadOnlySpan<int> ids);
}
