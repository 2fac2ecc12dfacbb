namespace TinyGpt.Tokenization;

/// <summary>Which tokenizer a run uses.</summary>
public enum TokenizerKind
{
    /// <summary>A byte-level BPE trained on the run's training split (<see cref="BpeTrainer"/>).</summary>
    Bpe,

    /// <summary>The pretrained GPT-2 tokenizer (50,257 tokens; <see cref="TextTokenizers.Gpt2"/>).</summary>
    Gpt2,
}
