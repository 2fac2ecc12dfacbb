using System.Globalization;
using ScottPlot;
using TinyGpt.Modeling;
using TinyGpt.Training;

namespace TinyGpt.Cli;

/// <summary>
/// Draws a run's <c>loss.png</c> with ScottPlot when training finishes: training loss (raw and a
/// moving average) and validation loss against training tokens, for the whole run, resumes included,
/// read from the run's <c>metrics.jsonl</c> (the library's record of the run; the chart lives in the
/// CLI so that the library carries no native drawing dependency).
/// </summary>
internal sealed class LossChart(string metricsPath, string pngPath) : ITrainingObserver
{
    public static readonly Color TrainColor = Color.FromHex("#1f77b4");
    public static readonly Color ValidationColor = Color.FromHex("#ff7f0e");

    // ScottPlot draws text with the system's fonts, and a machine without any (a slim container)
    // would get a chart without a single label, silently; so the CLI brings its own and always uses it.
    private static readonly Lazy<string> BundledFont = new(() =>
    {
        const string name = "DejaVu Sans (tinygpt)";
        var folder = Path.Combine(AppContext.BaseDirectory, "fonts");
        Fonts.AddFontFile(name, Path.Combine(folder, "DejaVuSans.ttf"), bold: false, italic: false);
        Fonts.AddFontFile(name, Path.Combine(folder, "DejaVuSans-Bold.ttf"), bold: true, italic: false);
        return name;
    });

    public void OnTrainingFinished(TrainingResult result, GptModel model) =>
        Draw(metricsPath, pngPath, string.Create(CultureInfo.InvariantCulture, $"TinyGpt {model.CountParameters().Total / 1e6:F1}M parameters"));

    /// <summary>Draws the curves of <paramref name="metrics"/> into <paramref name="png"/>, replacing it whole or not at all.</summary>
    public static void Draw(string metrics, string png, string title, int width = 900, int height = 500)
    {
        var (train, validation) = MetricsFile.ReadLossCurves(metrics);
        using var plot = new Plot();
        plot.Font.Set(BundledFont.Value);
        plot.Title(title);
        plot.XLabel("training tokens (millions)");
        plot.YLabel("loss (nats per token)");
        if (train.Count > 0)
        {
            var raw = plot.Add.ScatterLine(train.Select(p => p.Tokens / 1e6).ToArray(), train.Select(p => p.Loss).ToArray());
            raw.Color = TrainColor.WithAlpha(0.35);
            raw.LineWidth = 1;
            var smooth = plot.Add.ScatterLine(train.Select(p => p.Tokens / 1e6).ToArray(), MovingAverage([.. train.Select(p => p.Loss)], 9));
            smooth.Color = TrainColor;
            smooth.LineWidth = 2;
            smooth.LegendText = "train (moving average of 9)";
        }

        if (validation.Count > 0)
        {
            var points = plot.Add.Scatter(validation.Select(p => p.Tokens / 1e6).ToArray(), validation.Select(p => p.Loss).ToArray());
            points.Color = ValidationColor;
            points.LineWidth = 2;
            points.MarkerSize = 7;
            points.LegendText = "validation";
        }

        plot.ShowLegend(Alignment.UpperRight);

        // Written beside the target and moved over it, so a crash never leaves half a picture.
        var temporary = png + $".{Environment.ProcessId}.tmp";
        plot.SavePng(temporary, width, height);
        File.Move(temporary, png, overwrite: true);
    }

    // A centred moving average; the ends average over what there is.
    private static double[] MovingAverage(double[] values, int window)
    {
        var half = window / 2;
        return [.. values.Select((_, i) =>
        {
            var from = Math.Max(0, i - half);
            var to = Math.Min(values.Length, i + half + 1);
            return values[from..to].Average();
        })];
    }
}
