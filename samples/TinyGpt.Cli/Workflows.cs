using System.Text.Json;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using TinyGpt.Checkpoints;
using TinyGpt.Generation;
using TinyGpt.Hosting;
using TinyGpt.Modeling;
using TinyGpt.Runs;
using TinyGpt.Training;

namespace TinyGpt.Cli;

/// <summary>The steps of the pipeline, shared by the individual commands and by <c>tinygpt run</c>.</summary>
internal static class Workflows
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static async Task PrepareAsync(RunPreparationOptions options, CancellationToken cancellationToken)
    {
        using var prepared = await RunPreparer.PrepareAsync(options, new SynchronousProgress<string>(line => AnsiConsole.MarkupLineInterpolated($"[grey]{line}[/]")), cancellationToken).ConfigureAwait(false);
        AnsiConsole.MarkupLineInterpolated($"Prepared [bold]{prepared.Directory.Path}[/]: corpus {prepared.Manifest.Corpus}, tokenizer {prepared.Manifest.Tokenizer} ({prepared.Tokenizer.VocabSize:N0} tokens), train on '{prepared.Manifest.TrainSplit}', evaluate on '{prepared.Manifest.EvalSplit}'.");
    }

    public static GptConfig ResolveConfig(PreparedRun run, TrainSettings settings)
    {
        var path = run.Directory.ConfigPath;
        if (settings.Resume && File.Exists(path))
        {
            return JsonSerializer.Deserialize<GptConfig>(File.ReadAllText(path), Json)!;
        }

        var config = GptConfig.FromPreset(settings.Preset) with { VocabSize = run.Tokenizer.VocabSize };
        if (settings.Context is { } context)
        {
            config = config with { ContextLength = context };
        }

        if (settings.Dropout is { } dropout)
        {
            config = config with { Dropout = dropout };
        }

        config = config with
        {
            EmbeddingSize = settings.Width ?? config.EmbeddingSize,
            LayerCount = settings.Layers ?? config.LayerCount,
            HeadCount = settings.Heads ?? config.HeadCount,
        };

        return config.EnsureValid();
    }

    public static async Task<TrainingResult> TrainAsync(TrainSettings settings, ICollective collective, CancellationToken cancellationToken)
    {
        using var run = PreparedRun.Open(settings.Run);
        var config = ResolveConfig(run, settings);
        if (collective.IsPrimary)
        {
            File.WriteAllText(run.Directory.ConfigPath, JsonSerializer.Serialize(config, Json));
        }

        using var model = new GptModel(config, settings.Seed);
        var options = settings.ToOptions();
        ILogger logger = collective.IsPrimary ? new ConsoleLogger("tinygpt", LogLevel.Information) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        var trainer = new Trainer(model, run.CreateTrainingData(), options, run.Directory, logger, collective);
        if (settings.Resume && !trainer.ResumeFromLatest())
        {
            throw new FileNotFoundException($"--resume was given but '{run.Directory.CheckpointsDirectory}' holds no checkpoint. Train without --resume to start.");
        }

        if (!collective.IsPrimary || !CliErrors.Interactive)
        {
            return await trainer.TrainAsync(null, cancellationToken).ConfigureAwait(false);
        }

        TrainingResult? result = null;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("training", maxValue: 1);
                var progress = new SynchronousProgress<TrainingProgress>(p =>
                {
                    task.MaxValue = p.TotalSteps;
                    task.Value = p.Step;
                    task.Description = $"step {p.Step}/{p.TotalSteps} loss {p.Loss:F3} {p.TokensPerSecond:N0} tok/s";
                });
                result = await trainer.TrainAsync(progress, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
        return result!;
    }

    public static (GptModel Model, string Source) LoadModel(PreparedRun run, string? checkpoint)
    {
        if (checkpoint is not null)
        {
            return (CheckpointStore.LoadModel(checkpoint), checkpoint);
        }

        // The library's loader decides between the final model and the latest checkpoint.
        var model = TinyGptRun.LoadModel(run.Directory.Path);
        var source = File.Exists(run.Directory.ModelPath) ? run.Directory.ModelPath : new CheckpointStore(run.Directory.CheckpointsDirectory).LatestPath!;
        return (model, source);
    }

    public static EvaluationResult Evaluate(PreparedRun run, GptModel model, string split, int batchSize = 8, int? stride = null)
    {
        var info = run.GetSplit(split);
        return ModelEvaluator.Evaluate(model, run.OpenTokens(split), new EvaluationSettings { BatchSize = batchSize, Stride = stride, Bytes = info.Bytes, Words = info.Words });
    }

    public static void PrintEvaluation(string split, EvaluationResult result)
    {
        var table = new Table().Title($"evaluation on '{split}'").AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("loss (nats/token)", result.Loss.ToString("F4", System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("token perplexity", result.TokenPerplexity.ToString("F2", System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("word perplexity", result.WordPerplexity?.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) ?? "n/a");
        table.AddRow("bits per byte", result.BitsPerByte?.ToString("F4", System.Globalization.CultureInfo.InvariantCulture) ?? "n/a");
        table.AddRow("scored tokens", result.Tokens.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
    }

    public static string EvaluationJson(string split, EvaluationResult result, string model) => JsonSerializer.Serialize(new
    {
        split,
        model,
        loss = result.Loss,
        token_perplexity = result.TokenPerplexity,
        word_perplexity = result.WordPerplexity,
        bits_per_byte = result.BitsPerByte,
        tokens = result.Tokens,
        words = result.Words,
        bytes = result.Bytes,
    });

    public static async Task GenerateAsync(PreparedRun run, GptModel model, string prompt, GenerationOptions options, CancellationToken cancellationToken)
    {
        var generator = new TextGenerator(model, run.Tokenizer);
        Console.Write(prompt);
        await foreach (var piece in generator.GenerateStreamingAsync(prompt, options, cancellationToken).ConfigureAwait(false))
        {
            Console.Write(piece);
        }

        Console.WriteLine();
    }
}
