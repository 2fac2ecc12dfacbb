using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using TinyGpt.Training;

namespace TinyGpt.Cli;

/// <summary>Prints an evaluation as a table for people or as one JSON object for scripts; a dynamic evaluation gets a column (or object) of its own.</summary>
internal static class EvaluationOutput
{
    public static void PrintTable(string split, EvaluationResult result) => PrintTable(split, new TimedEvaluation(result, null), null);

    public static void PrintTable(string split, TimedEvaluation evaluation, TimedEvaluation? dynamic)
    {
        var table = new Table().Title($"evaluation on '{split}'").AddColumn("metric").AddColumn(new TableColumn(dynamic is null ? "value" : "static").RightAligned());
        if (dynamic is not null)
        {
            table.AddColumn(new TableColumn("dynamic").RightAligned());
        }

        var columns = dynamic is null ? new[] { evaluation } : [evaluation, dynamic];
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

    public static string Json(string split, TimedEvaluation evaluation, string model, TimedEvaluation? dynamic = null, DynamicEvaluationSettings? settings = null) => JsonSerializer.Serialize(new
    {
        split,
        model,
        loss = evaluation.Result.Loss,
        token_perplexity = evaluation.Result.TokenPerplexity,
        word_perplexity = evaluation.Result.WordPerplexity,
        bits_per_byte = evaluation.Result.BitsPerByte,
        tokens = evaluation.Result.Tokens,
        words = evaluation.Result.Words,
        bytes = evaluation.Result.Bytes,
        tokens_per_second = evaluation.TokensPerSecond,
        dynamic = dynamic is null ? null : new
        {
            learning_rate = settings?.LearningRate,
            decay = settings?.Decay,
            loss = dynamic.Result.Loss,
            token_perplexity = dynamic.Result.TokenPerplexity,
            word_perplexity = dynamic.Result.WordPerplexity,
            bits_per_byte = dynamic.Result.BitsPerByte,
            tokens = dynamic.Result.Tokens,
            tokens_per_second = dynamic.TokensPerSecond,
        },
    });
}
