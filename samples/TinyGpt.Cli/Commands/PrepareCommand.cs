using System.CommandLine;
using Spectre.Console;
using TinyGpt.Runs;
using TinyGpt.Text;
using TinyGpt.Tokenization;

namespace TinyGpt.Cli.Commands;

/// <summary><c>tinygpt prepare</c>: corpus, tokenizer and token files for a run folder.</summary>
internal static class PrepareCommand
{
    public static readonly Option<string> Run = new("--run") { Description = "The run folder.", Required = true };
    public static readonly Option<string> Dataset = CliOptions.Dataset();
    public static readonly Option<string?> DataDir = new("--data-dir") { Description = "A local folder with wiki.{train,valid,test}.raw instead of downloading." };
    public static readonly Option<string[]> Text = new("--text") { Description = "Your own UTF-8 text files instead of WikiText.", AllowMultipleArgumentsPerToken = true };
    public static readonly Option<int> VocabSize = new("--vocab-size") { Description = "Vocabulary size of the trained BPE tokenizer.", DefaultValueFactory = _ => 16_000 };
    public static readonly Option<string> Tokenizer = CliOptions.Tokenizer();
    public static readonly Option<string?> TokenizerFrom = new("--tokenizer-from") { Description = "Use the tokenizer in this folder (vocab.json + merges.txt, for example the Hugging Face model to fine-tune with train --init-from)." };
    public static readonly Option<string> TrainSplit = CliOptions.Split("--train-split", "The split to train on.", SplitNames.Train);
    public static readonly Option<string> EvalSplit = CliOptions.Split("--eval-split", "The split to evaluate on.", SplitNames.Valid);
    public static readonly Option<string?> CacheDir = new("--cache-dir") { Description = "Download cache (default: $TINYGPT_CACHE or ~/.cache/tinygpt)." };

    public static Command Create()
    {
        var command = new Command("prepare", "Get the corpus, train or load the tokenizer, encode and cache the splits.")
        {
            Run, Dataset, DataDir, Text, VocabSize, Tokenizer, TokenizerFrom, TrainSplit, EvalSplit, CacheDir,
        };
        command.SetAction((result, cancellationToken) => CliErrors.RunAsync(async () =>
        {
            using var run = await PrepareAsync(Read(result), cancellationToken).ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    public static RunPreparationOptions Read(ParseResult result)
    {
        var from = result.GetValue(TokenizerFrom);
        if (from is not null && result.GetResult(Tokenizer) is { Implicit: false })
        {
            throw new ArgumentException("--tokenizer and --tokenizer-from contradict each other: name a kind of tokenizer, or a folder to take one from.");
        }

        return new()
        {
            RunDirectory = result.GetValue(Run)!,
            Dataset = WikiTextDataset.Parse(result.GetValue(Dataset)!),
            DataDirectory = result.GetValue(DataDir),
            TextFiles = result.GetValue(Text) ?? [],
            VocabSize = result.GetValue(VocabSize),
            Tokenizer = from is null ? CliOptions.ToTokenizer(result.GetValue(Tokenizer)!) : TokenizerKind.Folder,
            TokenizerDirectory = from,
            TrainSplit = result.GetValue(TrainSplit)!,
            EvalSplit = result.GetValue(EvalSplit)!,
            CacheDirectory = result.GetValue(CacheDir),
        };
    }

    /// <summary>Prepares the run folder, printing what it does; the library checks everything before it writes.</summary>
    public static async Task<RunFolder> PrepareAsync(RunPreparationOptions options, CancellationToken cancellationToken)
    {
        var status = new SynchronousProgress<string>(line =>
        {
            if (line.StartsWith("warning:", StringComparison.Ordinal))
            {
                Console.Error.WriteLine($"tinygpt: {line}");
            }
            else
            {
                AnsiConsole.MarkupLineInterpolated($"[grey]{line}[/]");
            }
        });
        var run = await RunPreparer.PrepareAsync(options, status, cancellationToken).ConfigureAwait(false);
        AnsiConsole.MarkupLineInterpolated($"Prepared [bold]{run.Path}[/]: corpus {run.Manifest.Corpus}, tokenizer {run.Manifest.Tokenizer.ToString().ToLowerInvariant()} ({run.Tokenizer.VocabSize:N0} tokens), train on '{run.Manifest.TrainSplit}', evaluate on '{run.Manifest.EvalSplit}'.");
        return run;
    }
}
