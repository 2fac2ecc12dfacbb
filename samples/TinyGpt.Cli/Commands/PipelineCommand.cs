using System.CommandLine;
using Spectre.Console;
using TinyGpt.Generation;
using TinyGpt.Runs;

namespace TinyGpt.Cli.Commands;

/// <summary><c>tinygpt</c> / <c>tinygpt run</c>: prepare, train, evaluate and generate with the tiny preset, end to end.</summary>
internal static class PipelineCommand
{
    public static Command Create(string name)
    {
        var run = new Option<string>("--run") { Description = "The run folder.", DefaultValueFactory = _ => Path.Combine("runs", "wikitext2-tiny") };
        var dataset = new Option<string>("--dataset") { Description = "wikitext-2 or wikitext-103.", DefaultValueFactory = _ => "wikitext-2" };
        var dataDir = new Option<string?>("--data-dir") { Description = "A local folder with wiki.{train,valid,test}.raw instead of downloading." };
        var trainSplit = new Option<string>("--train-split") { Description = "The split to train on.", DefaultValueFactory = _ => "train" };
        var evalSplit = new Option<string>("--eval-split") { Description = "The split to evaluate on during training.", DefaultValueFactory = _ => "valid" };
        var vocab = new Option<int>("--vocab-size") { Description = "BPE vocabulary size.", DefaultValueFactory = _ => 8_000 };
        var preset = new Option<string>("--preset") { Description = "Model size: tiny, small or seed.", DefaultValueFactory = _ => "tiny" };
        var steps = new Option<int>("--max-steps") { Description = "Optimizer steps.", DefaultValueFactory = _ => 600 };
        var threads = new Option<int?>("--threads") { Description = "CPU threads (default: all cores)." };
        var seed = new Option<long>("--seed") { Description = "Seed of everything.", DefaultValueFactory = _ => 1337 };
        var command = new Command(name, "Run the whole WikiText pipeline: prepare, train, evaluate, generate.")
        {
            run, dataset, dataDir, trainSplit, evalSplit, vocab, preset, steps, threads, seed,
        };
        command.SetAction((result, cancellationToken) => CliErrors.RunAsync(async () =>
        {
            var folder = result.GetValue(run)!;
            AnsiConsole.Write(new Rule("[bold]1. prepare[/]").LeftJustified());
            await Workflows.PrepareAsync(new RunPreparationOptions
            {
                RunDirectory = folder,
                Dataset = result.GetValue(dataset)!,
                DataDirectory = result.GetValue(dataDir),
                TrainSplit = result.GetValue(trainSplit)!,
                EvalSplit = result.GetValue(evalSplit)!,
                VocabSize = result.GetValue(vocab),
            }, cancellationToken).ConfigureAwait(false);

            AnsiConsole.Write(new Rule("[bold]2. train[/]").LeftJustified());
            var maxSteps = result.GetValue(steps);
            var settings = new TrainSettings
            {
                Run = folder,
                Preset = result.GetValue(preset)!,
                MaxSteps = maxSteps,
                EvalInterval = Math.Max(1, maxSteps / 4),
                Threads = result.GetValue(threads),
                Seed = result.GetValue(seed),
                LogInterval = Math.Max(1, maxSteps / 30),
            };
            using var collective = DistributedLaunch.CreateCollective();
            var trained = await Workflows.TrainAsync(settings, collective, cancellationToken).ConfigureAwait(false);
            if (!collective.IsPrimary)
            {
                return 0;
            }

            AnsiConsole.Write(new Rule("[bold]3. evaluate[/]").LeftJustified());
            using var prepared = PreparedRun.Open(folder);
            var (model, _) = Workflows.LoadModel(prepared, null);
            using (model)
            {
                var splits = prepared.Manifest.Splits.Select(s => s.Name).Where(s => s != prepared.Manifest.TrainSplit).ToList();
                foreach (var split in splits)
                {
                    // The trainer already scored the whole evaluation split with the final weights.
                    var evaluation = split == prepared.Manifest.EvalSplit && trained.Validation is { } final
                        ? final
                        : Workflows.Evaluate(prepared, model, split);
                    Workflows.PrintEvaluation(split, evaluation);
                }

                AnsiConsole.Write(new Rule("[bold]4. generate[/]").LeftJustified());
                foreach (var prompt in new[] { " The game", " In 1998 ,", " = = History = = \n" })
                {
                    AnsiConsole.MarkupLineInterpolated($"[bold]prompt:[/] {prompt.Trim()}");
                    var options = new GenerationOptions { MaxNewTokens = 60, ContextOverflow = ContextOverflow.KeepLastTokens, Sampling = new SamplingOptions { Temperature = 0.8, TopK = 40, Seed = 1 } };
                    await Workflows.GenerateAsync(prepared, model, prompt, options, cancellationToken).ConfigureAwait(false);
                    Console.WriteLine();
                }
            }

            AnsiConsole.MarkupLineInterpolated($"Done in {trained.Elapsed:hh\\:mm\\:ss}. Loss curve: [bold]{trained.LossCurvePath}[/]  model: [bold]{trained.ModelPath}[/]");
            return 0;
        }));
        return command;
    }
}
