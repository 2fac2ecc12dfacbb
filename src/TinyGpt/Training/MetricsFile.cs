using System.Text.Json;
using System.Text.Json.Nodes;
using TinyGpt.Serialization;

namespace TinyGpt.Training;

/// <summary>
/// Writes a run's <c>metrics.jsonl</c>: one JSON object per line for every logged step
/// (<c>"type": "train"</c>), evaluation (<c>"eval"</c>) and sample (<c>"sample"</c>), flushed as it is
/// appended as it happens so that a crash loses nothing. On a resume it keeps the records up to the step it resumes
/// from and drops later ones, which the resumed run writes again; so the file always describes one
/// run, however often it stopped. <see cref="ReadLossCurves"/> reads the loss curves back, for charts.
/// </summary>
public sealed class MetricsFile : ITrainingObserver
{
    private bool _started;

    /// <summary>Writes to <paramref name="path"/> from the next <see cref="OnTrainingStarted"/> on.</summary>
    public MetricsFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>
    /// The loss curves of a metrics file, by training tokens seen: training loss at every logged step
    /// and validation loss at every evaluation, for the whole run (earlier sessions included). Lines a
    /// kill cut short are skipped.
    /// </summary>
    /// <param name="path">A <c>metrics.jsonl</c>.</param>
    public static (IReadOnlyList<(double Tokens, double Loss)> Training, IReadOnlyList<(double Tokens, double Loss)> Validation) ReadLossCurves(string path)
    {
        var training = new List<(double, double)>();
        var validation = new List<(double, double)>();
        foreach (var record in File.ReadLines(path).Select(Parse).OfType<JsonObject>())
        {
            if (record["tokens"] is { } tokens && record["loss"] is { } loss)
            {
                (record["type"]?.GetValue<string>() == "train" ? training : validation).Add((tokens.GetValue<double>(), loss.GetValue<double>()));
            }
        }

        return (training, validation);
    }

    /// <inheritdoc />
    public void OnTrainingStarted(TrainingStarted started)
    {
        ArgumentNullException.ThrowIfNull(started);
        var kept = started.ResumedFrom is null || !File.Exists(Path) ? [] : File.ReadLines(Path).Where(line => Parse(line)?["step"]?.GetValue<int>() <= started.StartStep).ToList();
        AtomicFile.WriteAllText(Path, kept.Count == 0 ? string.Empty : string.Join('\n', kept) + "\n");
        _started = true;
    }

    /// <inheritdoc />
    public void OnStep(TrainingProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        Write(new JsonObject
        {
            ["type"] = "train",
            ["step"] = progress.Step,
            ["loss"] = progress.Loss,
            ["lr"] = progress.LearningRate,
            ["tokens_per_second"] = progress.TokensPerSecond,
            ["mfu"] = progress.Mfu,
            ["grad_norm"] = progress.GradientNorm,
            ["tokens"] = progress.TokensSeen,
            ["elapsed"] = progress.RunSeconds,
        });
    }

    /// <inheritdoc />
    public void OnEvaluation(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var result = report.Result;
        Write(new JsonObject
        {
            ["type"] = "eval",
            ["step"] = report.Step,
            ["tokens"] = report.TokensSeen,
            ["loss"] = result.Loss,
            ["token_perplexity"] = result.TokenPerplexity,
            ["word_perplexity"] = result.WordPerplexity,
            ["bits_per_byte"] = result.BitsPerByte,
            ["scored_tokens"] = result.Tokens,
            ["partial"] = report.Partial,
        });
    }

    /// <inheritdoc />
    public void OnSample(int step, string text) => Write(new JsonObject { ["type"] = "sample", ["step"] = step, ["text"] = text });

    private static JsonObject? Parse(string line)
    {
        try
        {
            return JsonNode.Parse(line) as JsonObject;
        }
        catch (JsonException)
        {
            // A line cut short by a kill: a resumed run writes that step again.
            return null;
        }
    }

    private void Write(JsonObject record)
    {
        foreach (var key in record.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            record.Remove(key);
        }

        if (!_started)
        {
            throw new InvalidOperationException("The metrics file is written from OnTrainingStarted on.");
        }

        // A line at a time, appended and closed: a kill loses at most the line being written.
        File.AppendAllText(Path, record.ToJsonString() + "\n");
    }
}
