using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using TinyGpt.Training;

namespace TinyGpt.Cli;

/// <summary>Prints an evaluation as a table for people or as one JSON object for scripts.</summary>
internal static class EvaluationOutput
{
    public static void PrintTable(string split, EvaluationResult result)
    {
        var table = new Table().Title($"evaluation on '{split}'").AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("loss (nats/token)", result.Loss.ToString("F4", CultureInfo.InvariantCulture));
        table.AddRow("token perplexity", result.TokenPerplexity.ToString("F2", CultureInfo.InvariantCulture));
        table.AddRow("word perplexity", result.WordPerplexity?.ToString("F2", CultureInfo.InvariantCulture) ?? "n/a");
        table.AddRow("bits per byte", result.BitsPerByte?.ToString("F4", CultureInfo.InvariantCulture) ?? "n/a");
        table.AddRow("scored tokens", result.Tokens.ToString("N0", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
    }

    public static string Json(string split, EvaluationResult result, string model) => JsonSerializer.Serialize(new
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
}
