using System.CommandLine;
using TinyGpt.Runs;

namespace TinyGpt.Cli.Commands;

/// <summary><c>tinygpt prepare</c>: corpus, tokenizer and token files for a run folder.</summary>
internal static class PrepareCommand
{
    public static readonly Option<string> Run = new("--run") { Description = "The run folder.", Required = true };
    public static readonly Option<string> Dataset = new("--dataset") { Description = "wikitext-2 or wikitext-103.", DefaultValueFactory = _ => "wikitext-2" };
    public static readonly Option<string?> DataDir = new("--data-dir") { Description = "A local folder with wiki.{train,valid,test}.raw instead of downloading." };
    public static readonly Option<string[]> Text = new("--text") { Description = "Your own UTF-8 text files instead of WikiText.", AllowMultipleArgumentsPerToken = true };
    public static readonly Option<int> VocabSize = new("--vocab-size") { Description = "Vocabulary size of the trained BPE tokenizer.", DefaultValueFactory = _ => 16_000 };
    public static readonly Option<string> Tokenizer = new("--tokenizer") { Description = "bpe (train one) or gpt2 (pretrained).", DefaultValueFactory = _ => "bpe" };
    public static readonly Option<string> TrainSplit = new("--train-split") { Description = "The split to train on.", DefaultValueFactory = _ => "train" };
    public static readonly Option<string> EvalSplit = new("--eval-split") { Description = "The split to evaluate on.", DefaultValueFactory = _ => "valid" };
    public static readonly Option<string?> CacheDir = new("--cache-dir") { Description = "Download cache (default: $TINYGPT_CACHE or ~/.cache/tinygpt)." };

    public static Command Create()
    {
        var command = new Command("prepare", "Get the corpus, train or load the tokenizer, encode and cache the splits.")
        {
            Run, Dataset, DataDir, Text, VocabSize, Tokenizer, TrainSplit, EvalSplit, CacheDir,
        };
        command.SetAction((result, cancellationToken) => CliErrors.RunAsync(async () =>
        {
            await Workflows.PrepareAsync(Read(result, result.GetValue(Run)!), cancellationToken).ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    public static RunPreparationOptions Read(ParseResult result, string run) => new()
    {
        RunDirectory = run,
        Dataset = result.GetValue(Dataset) ?? "wikitext-2",
        DataDirectory = result.GetValue(DataDir),
        TextFiles = result.GetValue(Text) ?? [],
        VocabSize = result.GetValue(VocabSize),
        Tokenizer = result.GetValue(Tokenizer) ?? "bpe",
        TrainSplit = result.GetValue(TrainSplit) ?? "train",
        EvalSplit = result.GetValue(EvalSplit) ?? "valid",
        CacheDirectory = result.GetValue(CacheDir),
    };
}
