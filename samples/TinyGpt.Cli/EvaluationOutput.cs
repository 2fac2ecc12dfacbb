using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using TinyGpt.Training;

namespace TinyGpt.Cli;

/// <summary>Prints an evaluation as a table for people or as one JSON object for scripts; a dynamic evaluation gets a column (or object) of its own.</summary>
internal static class EvaluationOutput
{
    public static void PrintTable(string split, EvaluationResult result) => PrintTable(split, new TimedEvaluation(result, null), null);

    public static void PrintTable(string split, TimedEvaluation evaluation, TimedEvaluation? dynamic, (TimedEvaluation Result, string Title)? mixed = null)
    {
        var alone = dynamic is null && mixed is null;
        var table = new Table().Title($"evaluation on '{split}'").AddColumn("metric").AddColumn(new TableColumn(alone ? "value" : "static").RightAligned());
        var columns = new List<TimedEvaluation> { evaluation };
        if (mixed is { } m)
        {
            table.AddColumn(new TableColumn(m.Title).RightAligned());
            columns.Add(m.Result);
        }

        if (dynamic is not null)
        {
            table.AddColumn(new TableColumn("dynamic").RightAligned());
            columns.Add(dynamic);
        }

        void Row(string name, Func<TimedEvaluation, string> value) => table.AddRow([name, .. columns.Select(value)]);
        static string Number(double? value, string format) => value?.ToString(format, CultureInfo.InvariantCulture) ?? "n/a";
        Row("loss (nats/token)", e => Number(e.Result.Loss, "F4"));
        Row("token perplexity", e => Number(e.Result.TokenPerplexity, "F2"));
        Row("word perplexity", e => Number(e.Result.WordPerplexity, "F2"));
        Row("bits per byte", e => Number(e.Result.BitsPerByte, "F4"));
        Row("scored tokens", e => Number(e.Result.Tokens, "N0"));
        if (evaluation.Elapsed is not null)
        {
            Row("tokens/s", e => Number(e.TokensPerSecond, "N0"));
        }

        AnsiConsole.Write(table);
    }

    public static string Json(string split, TimedEvaluation evaluation, string model, TimedEvaluation? dynamic = null, DynamicEvaluationSettings? settings = null, TimedEvaluation? mixed = null, int? ngramOrder = null, double? ngramWeight = null)
    {
        var root = new Dictionary<string, object?> { ["split"] = split, ["model"] = model };
        Add(root, evaluation);
        if (mixed is not null)
        {
            var ensemble = new Dictionary<string, object?> { ["order"] = ngramOrder, ["weight"] = ngramWeight };
            Add(ensemble, mixed);
            root["ngram"] = ensemble;
        }
        else
        {
            root["ngram"] = null;
        }

        if (dynamic is not null)
        {
            var adapted = new Dictionary<string, object?> { ["learning_rate"] = settings?.LearningRate, ["decay"] = settings?.Decay };
            Add(adapted, dynamic);
            root["dynamic"] = adapted;
        }
        else
        {
            root["dynamic"] = null;
        }

        return JsonSerializer.Serialize(root);
    }

    // The same fields, in the same order, for the static evaluation and the dynamic one.
    private static void Add(Dictionary<string, object?> target, TimedEvaluation evaluation)
    {
        var result = evaluation.Result;
        target["loss"] = result.Loss;
        target["token_perplexity"] = result.TokenPerplexity;
        target["word_perplexity"] = result.WordPerplexity;
        target["bits_per_byte"] = result.BitsPerByte;
        target["tokens"] = result.Tokens;
        target["words"] = result.Words;
        target["bytes"] = result.Bytes;
        target["tokens_per_second"] = evaluation.TokensPerSecond;
    }
}
