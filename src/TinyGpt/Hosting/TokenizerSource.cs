using TinyGpt.Runs;

namespace TinyGpt.Hosting;

/// <summary>Which tokenizer a <see cref="GptBuilder"/> uses: a byte-level BPE trained on the corpus, or GPT-2's.</summary>
public sealed class TokenizerSource
{
    private TokenizerSource(string kind, int vocabSize, int minFrequency)
    {
        Kind = kind;
        VocabSize = vocabSize;
        MinFrequency = minFrequency;
    }

    /// <summary>The pretrained GPT-2 tokenizer (50,257 tokens).</summary>
    public static TokenizerSource Gpt2 { get; } = new("gpt2", 0, 0);

    /// <summary><c>bpe</c> or <c>gpt2</c>.</summary>
    public string Kind { get; }

    /// <summary>Vocabulary size of a trained BPE, special tokens included; 0 for GPT-2.</summary>
    public int VocabSize { get; }

    /// <summary>Least frequency of a pair to be merged when training BPE; 0 for GPT-2.</summary>
    public int MinFrequency { get; }

    /// <summary>A byte-level BPE trained on the corpus's training split (reused when the run folder already has it).</summary>
    /// <param name="vocabSize">Vocabulary size, special tokens included; at least 256 plus the special tokens.</param>
    /// <param name="minFrequency">Least frequency of a pair to be merged.</param>
    public static TokenizerSource Bpe(int vocabSize = 16_000, int minFrequency = 2) => new("bpe", vocabSize, minFrequency);

    internal IEnumerable<string> Validate()
    {
        var minimum = new Tokenization.BpeTrainerOptions().SpecialTokens.Count + 256;
        if (Kind == "bpe" && VocabSize < minimum)
        {
            yield return $"The BPE vocabulary size must be at least {minimum} (256 byte symbols and the special tokens; got {VocabSize}).";
        }

        if (Kind == "bpe" && MinFrequency < 0)
        {
            yield return $"The BPE minimum pair frequency must be at least 0 (got {MinFrequency}).";
        }
    }

    internal void ApplyTo(RunPreparationOptions options)
    {
        options.Tokenizer = Kind;
        if (Kind == "bpe")
        {
            options.VocabSize = VocabSize;
            options.MinFrequency = MinFrequency;
        }
    }
}
