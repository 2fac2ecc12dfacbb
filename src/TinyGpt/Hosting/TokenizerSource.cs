using TinyGpt.Runs;
using TinyGpt.Tokenization;

namespace TinyGpt.Hosting;

/// <summary>Which tokenizer a <see cref="GptBuilder"/> uses: a byte-level BPE trained on the corpus, GPT-2's, or one read from a folder.</summary>
public sealed class TokenizerSource
{
    private TokenizerSource(TokenizerKind kind, int vocabSize, int minFrequency, string? directory = null)
    {
        Kind = kind;
        VocabSize = vocabSize;
        MinFrequency = minFrequency;
        Directory = directory;
    }

    /// <summary>The pretrained GPT-2 tokenizer (50,257 tokens).</summary>
    public static TokenizerSource Gpt2 { get; } = new(TokenizerKind.Gpt2, 0, 0);

    /// <summary>Which tokenizer.</summary>
    public TokenizerKind Kind { get; }

    /// <summary>The folder of <see cref="FromFolder"/>; null otherwise.</summary>
    public string? Directory { get; }

    /// <summary>Vocabulary size of a trained BPE, special tokens included; 0 for GPT-2.</summary>
    public int VocabSize { get; }

    /// <summary>Least frequency of a pair to be merged when training BPE; 0 for GPT-2.</summary>
    public int MinFrequency { get; }

    /// <summary>A byte-level BPE trained on the corpus's training split (reused when the run folder already has it).</summary>
    /// <param name="vocabSize">Vocabulary size, special tokens included; at least 256 plus the special tokens.</param>
    /// <param name="minFrequency">Least frequency of a pair to be merged.</param>
    public static TokenizerSource Bpe(int vocabSize = 16_000, int minFrequency = 2) => new(TokenizerKind.Bpe, vocabSize, minFrequency);

    /// <summary>The byte-level BPE in a folder's <c>vocab.json</c> and <c>merges.txt</c>, for example the Hugging Face model given to <see cref="GptBuilder.InitFrom"/>.</summary>
    /// <param name="directory">The folder.</param>
    public static TokenizerSource FromFolder(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return new(TokenizerKind.Folder, 0, 0, System.IO.Path.GetFullPath(directory));
    }

    internal IEnumerable<string> Validate()
    {
        if (Kind == TokenizerKind.Folder && !File.Exists(System.IO.Path.Combine(Directory!, "vocab.json")))
        {
            yield return $"The tokenizer folder '{Directory}' has no vocab.json and merges.txt.";
        }

        var minimum = RunPreparationOptions.MinimumVocabSize;
        if (Kind == TokenizerKind.Bpe && VocabSize < minimum)
        {
            yield return $"The BPE vocabulary size must be at least {minimum} (256 byte symbols and the special tokens; got {VocabSize}).";
        }

        if (Kind == TokenizerKind.Bpe && MinFrequency < 1)
        {
            yield return $"The BPE minimum pair frequency must be at least 1 (got {MinFrequency}).";
        }
    }

    internal void ApplyTo(RunPreparationOptions options)
    {
        options.Tokenizer = Kind;
        options.TokenizerDirectory = Directory;
        if (Kind == TokenizerKind.Bpe)
        {
            options.VocabSize = VocabSize;
            options.MinFrequency = MinFrequency;
        }
    }
}
