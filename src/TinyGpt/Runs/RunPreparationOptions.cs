using TinyGpt.Text;
using TinyGpt.Tokenization;
using TinyGpt.Validation;

namespace TinyGpt.Runs;

/// <summary>What <see cref="RunPreparer"/> gets ready: which corpus, which tokenizer, which splits.</summary>
public sealed class RunPreparationOptions : IValidatable
{
    /// <summary>The smallest BPE vocabulary: the 256 byte tokens and the special tokens.</summary>
    public static readonly int MinimumVocabSize = 256 + BpeTrainerOptions.DefaultSpecialTokens.Count;

    /// <summary>The run folder to prepare.</summary>
    public required string RunDirectory { get; set; }

    /// <summary>The WikiText variant to use when no text files are given.</summary>
    public WikiTextDataset Dataset { get; set; } = WikiTextDataset.WikiText2Raw;

    /// <summary>A local folder with <c>wiki.{train,valid,test}.raw</c> to use instead of downloading.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Your own UTF-8 text files to train on instead of WikiText; the last lines become the validation split.</summary>
    public IReadOnlyList<string> TextFiles { get; set; } = [];

    /// <summary>Share of the text files' lines held out for validation.</summary>
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>Which tokenizer: train a byte-level BPE on the training split, use the pretrained GPT-2 one, or copy one from <see cref="TokenizerDirectory"/>.</summary>
    public TokenizerKind Tokenizer { get; set; } = TokenizerKind.Bpe;

    /// <summary>With <see cref="TokenizerKind.Folder"/>: the folder holding <c>vocab.json</c> and <c>merges.txt</c> (for example the Hugging Face model to fine-tune); they are copied into the run.</summary>
    public string? TokenizerDirectory { get; set; }

    /// <summary>Vocabulary size of a trained BPE tokenizer, special tokens included.</summary>
    public int VocabSize { get; set; } = 16_000;

    /// <summary>Least frequency of a pair to be merged when training BPE.</summary>
    public int MinFrequency { get; set; } = 2;

    /// <summary>The split to train on (and to train the tokenizer on).</summary>
    public string TrainSplit { get; set; } = SplitNames.Train;

    /// <summary>The split to evaluate on during training.</summary>
    public string EvalSplit { get; set; } = SplitNames.Valid;

    /// <summary>Cache folder for downloads; null uses <c>TINYGPT_CACHE</c> or <c>~/.cache/tinygpt</c>.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>Where WikiText is downloaded from; null uses the official host.</summary>
    public Uri? DownloadBaseUri { get; set; }

    /// <inheritdoc />
    public IReadOnlyList<string> Validate() => new Problems()
        .Require(!string.IsNullOrWhiteSpace(RunDirectory), $"{nameof(RunDirectory)} must name the run folder.")
        .Require(Dataset is not null, $"{nameof(Dataset)} must not be null.")
        .Require(TextFiles is not null, $"{nameof(TextFiles)} must not be null; use an empty list for WikiText.")
        .Require(ValidationFraction is > 0 and < 1, $"{nameof(ValidationFraction)} must be between 0 and 1 (got {ValidationFraction}).")
        .Require(Enum.IsDefined(Tokenizer), $"{nameof(Tokenizer)} must be {string.Join(" or ", Enum.GetNames<TokenizerKind>())} (got {Tokenizer}).")
        .Require(Tokenizer != TokenizerKind.Bpe || VocabSize >= MinimumVocabSize, $"{nameof(VocabSize)} must be at least {MinimumVocabSize}, the byte tokens and special tokens (got {VocabSize}).")
        .Require(Tokenizer != TokenizerKind.Bpe || VocabSize <= 1_000_000, $"{nameof(VocabSize)} must be at most 1,000,000 (got {VocabSize}).")
        .Require(Tokenizer != TokenizerKind.Folder || !string.IsNullOrWhiteSpace(TokenizerDirectory), $"{nameof(Tokenizer)} is {nameof(TokenizerKind.Folder)}, so {nameof(TokenizerDirectory)} must name the folder with vocab.json and merges.txt.")
        .Require(Tokenizer == TokenizerKind.Folder || TokenizerDirectory is null, $"{nameof(TokenizerDirectory)} is set but {nameof(Tokenizer)} is {Tokenizer}; set {nameof(Tokenizer)} to {nameof(TokenizerKind.Folder)} to use that folder's tokenizer.")
        .Require(MinFrequency >= 1, $"{nameof(MinFrequency)} must be at least 1 (got {MinFrequency}).")
        .Require(!string.IsNullOrWhiteSpace(TrainSplit), $"{nameof(TrainSplit)} must name a split.")
        .Require(!string.IsNullOrWhiteSpace(EvalSplit), $"{nameof(EvalSplit)} must name a split.")
        .ToList();
}
