namespace TinyGpt.Tokenization;

/// <summary>Which tokenizer a run uses.</summary>
public enum TokenizerKind
{
    /// <summary>A byte-level BPE trained on the run's training split (<see cref="BpeTrainer"/>).</summary>
    Bpe,

    /// <summary>The pretrained GPT-2 tokenizer (50,257 tokens; <see cref="TextTokenizers.Gpt2"/>).</summary>
    Gpt2,

    /// <summary>A byte-level BPE read from a folder's <c>vocab.json</c> and <c>merges.txt</c> (for example a Hugging Face model's), copied into the run.</summary>
    Folder,
}
