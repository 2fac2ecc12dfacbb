using System.CommandLine;
using Spectre.Console;
using TinyGpt.Distributed.Launch;
using TinyGpt.Generation;
using TinyGpt.Ngrams;
using TinyGpt.Runs;
using TinyGpt.Text;
using TinyGpt.Training;

namespace TinyGpt.Cli.Commands;

/// <summary><c>tinygpt</c> / <c>tinygpt run</c>: prepare, train, evaluate and generate with the tiny preset, end to end.</summary>
internal static class PipelineCommand
{
    private const int MixedOrder = 3;

    public static Command Create(string name)
    {
        var run = new Option<string>("--run") { Description = "The run folder.", DefaultValueFactory = _ => Path.Combine("runs", "wikitext2-tiny") };
        var dataset = CliOptions.Dataset();
        var dataDir = new Option<string?>("--data-dir") { Description = "A local folder with wiki.{train,valid,test}.raw instead of downloading." };
        var trainSplit = CliOptions.Split("--train-split", "The split to train on.", SplitNames.Train);
        var evalSplit = CliOptions.Split("--eval-split", "The split to evaluate on during training.", SplitNames.Valid);
        // 8,000 measured better than 4,000 for this job: 2,874 alone and 1,824 with the trigram
        // against 3,544 and 1,863 (performance.md, "Quality: a fourth sweep").
        var vocab = new Option<int>("--vocab-size") { Description = "BPE vocabulary size.", DefaultValueFactory = _ => 8_000 };
        var preset = CliOptions.Preset();
        var steps = new Option<int>("--max-steps") { Description = "Optimizer steps.", DefaultValueFactory = _ => 900 };
        var budget = new Option<TimeSpan?>("--time-budget") { Description = "Train for this long instead of --max-steps (20m, 90s): the step count comes from the measured speed.", CustomParser = TrainCommand.TimeBudget.CustomParser };
        var threads = new Option<int?>("--threads") { Description = "CPU threads (default: all cores)." };
        var seed = new Option<long>("--seed") { Description = "Seed of everything.", DefaultValueFactory = _ => 1337 };
        var command = new Command(name, "Run the whole WikiText pipeline: prepare, train, evaluate, generate.")
        {
            run, dataset, dataDir, trainSplit, evalSplit, vocab, preset, steps, budget, threads, seed,
        };
        command.SetAction((result, cancellationToken) => CliErrors.RunAsync(async () =>
        {
            if (LaunchEnvironment.Detect().IsMultiProcess)
            {
                throw new InvalidOperationException("The whole pipeline runs in one process. Under mpirun, prepare the run folder once ('tinygpt prepare'), then train it with 'mpirun -np N tinygpt train --run DIR'.");
            }

            var folder = result.GetValue(run)!;
            var maxSteps = result.GetValue(steps);
            var timeBudget = result.GetValue(budget);
            if (timeBudget is not null && result.GetResult(steps) is { Implicit: false })
            {
                throw new ArgumentException("--time-budget sets the step count itself: give --max-steps or --time-budget, not both.");
            }

            var settings = new TrainSettings
            {
                Run = folder,
                Preset = CliOptions.ToPreset(result.GetValue(preset)!),
                MaxSteps = timeBudget is null ? maxSteps : null,
                TimeBudget = timeBudget,
                EvalInterval = Math.Max(1, maxSteps / 4),
                Threads = result.GetValue(threads),
                Seed = result.GetValue(seed),
                LogInterval = Math.Max(1, maxSteps / 30),
                // Measured on WikiText-2 (performance.md, "The main job"): at 600 steps the tiny
                // model scores 3,129 with 3e-3, against 3,930 with 1e-3, 3,398 with 2e-3 and
                // 3,377 with 5e-3 (the last two with random window offsets, which cost 5% at 3e-3).
                // 900 steps (the default since the heap fix made steps 1.4x cheaper) score 2,962,
                // and 1,200 overfit (3,417).
                LearningRate = 3e-3,
                // A moving average of the weights: 2,916 against 2,962 without (performance.md,
                // "Quality: a second sweep"); training itself is unchanged.
                WeightAverageDecay = 0.99,
                // Dropout on the embeddings alone (the tiny preset has none elsewhere): 2,874 alone and
                // 1,824 with the trigram against 2,916 and 1,899 without, and the same at another seed
                // (performance.md, "Quality: a third sweep").
                EmbeddingDropout = 0.3,
                Restart = true,
            };
            settings.ToOptions();
            settings.CheckAuto();

            AnsiConsole.Write(new Rule("[bold]1. prepare[/]").LeftJustified());
            using (await PrepareCommand.PrepareAsync(new RunPreparationOptions
            {
                RunDirectory = folder,
                Dataset = WikiTextDataset.Parse(result.GetValue(dataset)!),
                DataDirectory = result.GetValue(dataDir),
                TrainSplit = result.GetValue(trainSplit)!,
                EvalSplit = result.GetValue(evalSplit)!,
                VocabSize = result.GetValue(vocab),
            }, cancellationToken).ConfigureAwait(false))
            {
            }

            AnsiConsole.Write(new Rule("[bold]2. train[/]").LeftJustified());
            var trained = await TrainCommand.TrainAsync(settings, cancellationToken).ConfigureAwait(false);

            AnsiConsole.Write(new Rule("[bold]3. evaluate[/]").LeftJustified());
            using var prepared = RunFolder.Open(folder);
            var loaded = prepared.LoadModel();
            using (loaded.Model)
            {
                // Beside the model's own score: the model mixed with a Kneser-Ney trigram of the
                // training split (a static ensemble, counted in about a second; training.md, "Evaluation").
                var trigram = KneserNeyModel.Train(prepared.OpenTokens(prepared.Manifest.TrainSplit), prepared.Manifest.VocabSize, MixedOrder);
                foreach (var split in prepared.Manifest.Splits.Select(s => s.Name).Where(s => s != prepared.Manifest.TrainSplit))
                {
                    // The trainer already scored the whole evaluation split with the final weights.
                    var evaluation = split == prepared.Manifest.EvalSplit && trained.Validation is { } final
                        ? final
                        : EvalCommand.Evaluate(prepared, loaded.Model, split, null, cancellationToken);
                    var mixed = EvalCommand.Evaluate(prepared, loaded.Model, split, null, cancellationToken, trigram);
                    EvaluationOutput.PrintTable(split, new TimedEvaluation(evaluation, null), null, (new TimedEvaluation(mixed, null), EvalCommand.MixedTitle(MixedOrder, EvaluationSettings.DefaultNgramWeight)));
                }

                // The samples come from the better of the two models scored above: the network
                // mixed with the trigram, whose counted phrases make the text read more like WikiText;
                // the no-repeat ban stops the loops ("the city in the city in the city") a small
                // model falls into.
                AnsiConsole.Write(new Rule($"[bold]4. generate[/] (with the {MixedOrder}-gram, as scored above; no 3-gram repeated)").LeftJustified());
                var generator = new TextGenerator(loaded.Model, prepared.Tokenizer);
                foreach (var prompt in new[] { " The game", " In 1998 ,", " = = History = = \n" })
                {
                    AnsiConsole.MarkupLineInterpolated($"[bold]prompt:[/] {prompt.Trim()}");
                    var options = new GenerationOptions { MaxNewTokens = 60, ContextOverflow = ContextOverflow.KeepLastTokens, Sampling = new SamplingOptions { Temperature = 0.8, TopK = 40, Seed = 1, Ngram = trigram, NgramOrder = MixedOrder, NoRepeatNgramSize = 3 } };
                    await GenerateCommand.StreamAsync(generator, prompt, options, cancellationToken).ConfigureAwait(false);
                    Console.WriteLine();
                }
            }

            AnsiConsole.MarkupLineInterpolated($"Done in {trained.Elapsed:hh\\:mm\\:ss}. Loss curve: [bold]{prepared.LossCurvePath}[/]  model: [bold]{prepared.ModelPath}[/]");
            return 0;
        }));
        return command;
    }
}
