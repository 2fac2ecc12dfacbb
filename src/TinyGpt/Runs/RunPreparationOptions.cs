namespace TinyGpt.Runs;

/// <summary>What <see cref="RunPreparer"/> gets ready: which corpus, which tokenizer, which splits.</summary>
public sealed class RunPreparationOptions
{
    /// <summary>The run folder to prepare.</summary>
    public required string RunDirectory { get; set; }

    /// <summary>WikiText variant to use when no text files are given: <c>wikitext-2</c> or <c>wikitext-103</c>.</summary>
    public string Dataset { get; set; } = "wikitext-2";

    /// <summary>A local folder with <c>wiki.{train,valid,test}.raw</c> to use instead of downloading.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Your own UTF-8 text files to train on instead of WikiText; the last lines become the validation split.</summary>
    public IReadOnlyList<string> TextFiles { get; set; } = [];

    /// <summary>Share of the text files' lines held out for validation.</summary>
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>Tokenizer: <c>bpe</c> trains a byte-level BPE on the training split; <c>gpt2</c> uses the pretrained GPT-2 tokenizer.</summary>
    public string Tokenizer { get; set; } = "bpe";

    /// <summary>Vocabulary size of a trained BPE tokenizer, special tokens included.</summary>
    public int VocabSize { get; set; } = 16_000;

    /// <summary>Least frequency of a pair to be merged when training BPE.</summary>
    public int MinFrequency { get; set; } = 2;

    /// <summary>The split to train on (and to train the tokenizer on).</summary>
    public string TrainSplit { get; set; } = "train";

    /// <summary>The split to evaluate on during training.</summary>
    public string EvalSplit { get; set; } = "valid";

    /// <summary>Cache folder for downloads; null uses <c>TINYGPT_CACHE</c> or <c>~/.cache/tinygpt</c>.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>Where WikiText is downloaded from; null uses the official host.</summary>
    public Uri? DownloadBaseUri { get; set; }
}
