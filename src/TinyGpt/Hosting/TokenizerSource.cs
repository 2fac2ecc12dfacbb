using TinyGpt.Runs;
using TinyGpt.Tokenization;

namespace TinyGpt.Hosting;

/// <summary>Which tokenizer a <see cref="GptBuilder"/> uses: a byte-level BPE trained on the corpus, or GPT-2's.</summary>
public sealed class TokenizerSource
{
    private TokenizerSource(TokenizerKind kind, int vocabSize, int minFrequency)
    {
        Kind = kind;
        VocabSize = vocabSize;
        MinFrequency = minFrequency;
    }

    /// <summary>The pretrained GPT-2 tokenizer (50,257 tokens).</summary>
    public static TokenizerSource Gpt2 { get; } = new(TokenizerKind.Gpt2, 0, 0);

    /// <summary>Which tokenizer.</summary>
    public TokenizerKind Kind { get; }

    /// <summary>Vocabulary size of a trained BPE, special tokens included; 0 for GPT-2.</summary>
    public int VocabSize { get; }

    /// <summary>Least frequency of a pair to be merged when training BPE; 0 for GPT-2.</summary>
    public int MinFrequency { get; }

    /// <summary>A byte-level BPE trained on the corpus's training split (reused when the run folder already has it).</summary>
    /// <param name="vocabSize">Vocabulary size, special tokens included; at least 256 plus the special tokens.</param>
    /// <param name="minFrequency">Least frequency of a pair to be merged.</param>
    public static TokenizerSource Bpe(int vocabSize = 16_000, int minFrequency = 2) => new(TokenizerKind.Bpe, vocabSize, minFrequency);

    internal IEnumerable<string> Validate()
    {
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
        if (Kind == TokenizerKind.Bpe)
        {
            options.VocabSize = VocabSize;
            options.MinFrequency = MinFrequency;
        }
    }
}
