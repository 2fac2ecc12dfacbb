using System.Drawing;
using TinyGpt.Serialization;

namespace TinyGpt.Reporting;

/// <summary>
/// Draws training and validation loss against tokens seen as a PNG picture, with no native
/// dependency: nice-number axes, grid, tick labels, axis titles, legend and an optional title.
/// The noisy per-step train loss is drawn faintly with an exponential moving average over it.
/// </summary>
public static class LossCurveChart
{
    /// <summary>Colour of the train curve (blue).</summary>
    internal static readonly Color TrainColor = Color.FromArgb(31, 119, 180);

    /// <summary>Colour of the validation curve (orange).</summary>
    internal static readonly Color ValidationColor = Color.FromArgb(255, 127, 14);

    /// <summary>Smallest accepted picture width in pixels.</summary>
    public const int MinWidth = 240;

    /// <summary>Smallest accepted picture height in pixels.</summary>
    public const int MinHeight = 160;

    /// <summary>Largest accepted picture width or height in pixels.</summary>
    public const int MaxSide = 8192;

    /// <summary>Fewest finite train points for which the moving average is drawn over the raw curve.</summary>
    internal const int SmoothingMinPoints = 20;

    private const double LineWidth = 2;
    private const double RawLineWidth = 1.2;

    private static readonly Color Background = Color.White;
    private static readonly Color Ink = Color.FromArgb(34, 34, 34);
    private static readonly Color MutedInk = Color.FromArgb(90, 90, 90);
    private static readonly Color Axis = Color.FromArgb(110, 110, 110);
    private static readonly Color Grid = Color.FromArgb(228, 228, 228);
    private static readonly Color LegendBorder = Color.FromArgb(200, 200, 200);

    /// <summary>
    /// Renders the loss curves and writes them atomically to <paramref name="path"/> as a PNG file
    /// (a temporary file in the same folder is renamed over the target; missing folders are created).
    /// Points whose tokens or loss are NaN or infinite are skipped; points need not be sorted.
    /// </summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="train">Train loss by tokens seen; at least one finite point.</param>
    /// <param name="validation">Validation loss by tokens seen; may be empty.</param>
    /// <param name="title">Optional title drawn at the top.</param>
    /// <param name="width">Picture width in pixels, <see cref="MinWidth"/> to <see cref="MaxSide"/>.</param>
    /// <param name="height">Picture height in pixels, <see cref="MinHeight"/> to <see cref="MaxSide"/>.</param>
    /// <exception cref="ArgumentException">The path is empty or <paramref name="train"/> has no finite point.</exception>
    /// <exception cref="ArgumentNullException">A series is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The size is outside the accepted range.</exception>
    public static void WritePng(
        string path,
        IReadOnlyList<(double Tokens, double Loss)> train,
        IReadOnlyList<(double Tokens, double Loss)> validation,
        string? title = null,
        int width = 800,
        int height = 500)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var canvas = Render(train, validation, title, width, height);
        AtomicFile.Write(path, canvas.WritePng);
    }

    /// <summary>Renders the chart onto a new canvas; see <see cref="WritePng"/> for the arguments.</summary>
    internal static RasterCanvas Render(
        IReadOnlyList<(double Tokens, double Loss)> train,
        IReadOnlyList<(double Tokens, double Loss)> validation,
        string? title,
        int width,
        int height)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, MinWidth);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, MinHeight);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, MaxSide);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, MaxSide);
        var trainPoints = Finite(train);
        if (trainPoints.Length == 0)
        {
            throw new ArgumentException(
                train.Count == 0 ? "The train series is empty." : "The train series has no point with finite tokens and loss.",
                nameof(train));
        }

        var validationPoints = Finite(validation);
        var smoothed = trainPoints.Length >= SmoothingMinPoints ? MovingAverage(trainPoints) : null;

        var canvas = new RasterCanvas(width, height, Background);
        var s = width >= 640 && height >= 400 ? 2 : 1; // font scale
        var textHeight = BitmapFont.CapHeight * s;
        var pad = 8 * s;

        // Vertical layout: title, plot, tick labels, axis title.
        var top = pad;
        string? titleText = null;
        var titleScale = s;
        if (!string.IsNullOrWhiteSpace(title))
        {
            (titleText, titleScale) = FitTitle(title.Trim(), width - (2 * pad), s);
            top += (BitmapFont.CapHeight * titleScale) + (6 * s);
        }
        else
        {
            top += 2 * s;
        }

        var tickLength = 3 * s;
        var bottom = height - pad - textHeight - (5 * s) - textHeight - tickLength - (4 * s);
        var plotHeight = bottom - top;

        var allLoss = trainPoints.Concat(validationPoints).Select(p => p.Loss).ToArray();
        var yAxis = NiceAxis.Create(allLoss.Min(), allLoss.Max(), Math.Clamp(plotHeight / (22 * s), 3, 10));
        var yLabels = yAxis.Ticks.Select(v => NiceAxis.FormatPlain(v, yAxis.Step, minDecimals: 1)).ToArray();
        var yLabelWidth = yLabels.Max(l => RasterCanvas.MeasureText(l, s));

        var left = pad + textHeight + (6 * s) + yLabelWidth + tickLength + (3 * s);
        var allTokens = trainPoints.Concat(validationPoints).Select(p => p.Tokens).ToArray();
        var tokensMin = allTokens.Min();
        var tokensMax = allTokens.Max();
        if (tokensMin > 0 && tokensMin <= 0.25 * tokensMax)
        {
            tokensMin = 0; // a run seen from (nearly) its start reads best from zero
        }

        var right = width - pad - (12 * s);
        var (xAxis, xLabels) = FitXAxis(tokensMin, tokensMax, right - left, s);
        right = width - pad - Math.Max(4 * s, (RasterCanvas.MeasureText(xLabels[^1], s) / 2) - pad);
        var plotWidth = right - left;
        var plot = new Rectangle(left, top, plotWidth, plotHeight);

        double X(double tokens) => left + ((tokens - xAxis.Min) / (xAxis.Max - xAxis.Min) * plotWidth);
        double Y(double loss) => bottom - ((loss - yAxis.Min) / (yAxis.Max - yAxis.Min) * plotHeight);

        // Grid and ticks.
        var xTicks = xAxis.Ticks;
        var yTicks = yAxis.Ticks;
        foreach (var v in yTicks)
        {
            var y = Math.Min(bottom - 1, (int)Math.Floor(Y(v)));
            canvas.FillRectangle(left, y, plotWidth, 1, Grid);
        }

        foreach (var v in xTicks)
        {
            var x = Math.Min(right - 1, (int)Math.Floor(X(v)));
            canvas.FillRectangle(x, top, 1, plotHeight, Grid);
        }

        // Curves, clipped to the plot with a little room for line width.
        var clip = Rectangle.Inflate(plot, 2 * s, 2 * s);
        var trainPixels = trainPoints.Select(p => new PointF((float)X(p.Tokens), (float)Y(p.Loss))).ToArray();
        if (trainPixels.Length == 1)
        {
            canvas.FillCircle(trainPixels[0].X, trainPixels[0].Y, 2.5 * s, TrainColor);
        }
        else if (smoothed is null)
        {
            canvas.DrawPolyline(trainPixels, TrainColor, thickness: LineWidth, clip: clip);
        }
        else
        {
            canvas.DrawPolyline(trainPixels, TrainColor, thickness: RawLineWidth, opacity: 0.35f, clip: clip);
            var smoothPixels = smoothed.Select(p => new PointF((float)X(p.Tokens), (float)Y(p.Loss))).ToArray();
            canvas.DrawPolyline(smoothPixels, TrainColor, thickness: LineWidth, clip: clip);
        }

        if (validationPoints.Length > 0)
        {
            var validationPixels = validationPoints.Select(p => new PointF((float)X(p.Tokens), (float)Y(p.Loss))).ToArray();
            canvas.DrawPolyline(validationPixels, ValidationColor, thickness: LineWidth, clip: clip);
            if (validationPixels.Length <= plotWidth / (8 * s))
            {
                foreach (var p in validationPixels)
                {
                    canvas.FillCircle(p.X, p.Y, (2.5 * s) + 1, Background);
                    canvas.FillCircle(p.X, p.Y, 2.5 * s, ValidationColor);
                }
            }
        }

        // Axes, tick marks and tick labels.
        canvas.FillRectangle(left, bottom, plotWidth, 1, Axis);
        canvas.FillRectangle(left - 1, top, 1, plotHeight + 1, Axis);
        for (var i = 0; i < yTicks.Count; i++)
        {
            var y = Math.Min(bottom, (int)Math.Floor(Y(yTicks[i])));
            canvas.FillRectangle(left - 1 - tickLength, y, tickLength, 1, Axis);
            var labelWidth = RasterCanvas.MeasureText(yLabels[i], s);
            canvas.DrawText(left - 1 - tickLength - (3 * s) - labelWidth, y - (textHeight / 2), yLabels[i], MutedInk, s);
        }

        for (var i = 0; i < xTicks.Count; i++)
        {
            var x = Math.Min(right - 1, (int)Math.Floor(X(xTicks[i])));
            canvas.FillRectangle(x, bottom + 1, 1, tickLength, Axis);
            var labelWidth = RasterCanvas.MeasureText(xLabels[i], s);
            canvas.DrawText(x - (labelWidth / 2), bottom + 1 + tickLength + (4 * s), xLabels[i], MutedInk, s);
        }

        // Axis titles.
        const string xTitle = "tokens";
        const string yTitle = "loss";
        canvas.DrawText(left + ((plotWidth - RasterCanvas.MeasureText(xTitle, s)) / 2), height - pad - textHeight, xTitle, Ink, s);
        canvas.DrawTextUpwards(pad, top + ((plotHeight + RasterCanvas.MeasureText(yTitle, s)) / 2), yTitle, Ink, s);

        // Title.
        if (titleText is not null)
        {
            var titleWidth = RasterCanvas.MeasureText(titleText, titleScale);
            canvas.DrawText((width - titleWidth) / 2, pad, titleText, Ink, titleScale);
        }

        DrawLegend(canvas, plot, s, validationPoints.Length > 0, smoothed is not null);
        return canvas;
    }

    /// <summary>
    /// Smooths <paramref name="points"/>' loss with a debiased exponential moving average run forwards
    /// and then backwards over the result, so the smooth line does not lag behind a falling loss.
    /// The span is about a fiftieth of the points.
    /// </summary>
    internal static (double Tokens, double Loss)[] MovingAverage(IReadOnlyList<(double Tokens, double Loss)> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var span = Math.Clamp(points.Count / 50.0, 2, 200);
        var beta = 1 - (2 / (span + 1));
        var loss = points.Select(p => p.Loss).ToArray();
        Ema(loss, beta, forwards: true);
        Ema(loss, beta, forwards: false);
        return points.Select((p, i) => (p.Tokens, loss[i])).ToArray();
    }

    private static void Ema(double[] values, double beta, bool forwards)
    {
        double average = 0, weight = 0;
        for (var k = 0; k < values.Length; k++)
        {
            var i = forwards ? k : values.Length - 1 - k;
            average = (beta * average) + ((1 - beta) * values[i]);
            weight = (beta * weight) + (1 - beta);
            values[i] = average / weight;
        }
    }

    private static (double Tokens, double Loss)[] Finite(IReadOnlyList<(double Tokens, double Loss)> points) =>
        points.Where(p => double.IsFinite(p.Tokens) && double.IsFinite(p.Loss)).OrderBy(p => p.Tokens).ToArray();

    private static (string Text, int Scale) FitTitle(string title, int available, int scale)
    {
        for (; scale >= 1; scale--)
        {
            if (RasterCanvas.MeasureText(title, scale) <= available)
            {
                return (title, scale);
            }
        }

        var text = title;
        while (text.Length > 1 && RasterCanvas.MeasureText(text + "...", 1) > available)
        {
            text = text[..^1];
        }

        return (text.TrimEnd() + "...", 1);
    }

    private static (NiceAxis Axis, string[] Labels) FitXAxis(double min, double max, int plotWidth, int scale)
    {
        // Fewer ticks until neighbouring labels keep a clear gap.
        for (var maxTicks = Math.Clamp(plotWidth / (40 * scale), 2, 12); ; maxTicks--)
        {
            var axis = NiceAxis.Create(min, max, maxTicks, tight: true);
            var labels = axis.Ticks.Select(v => NiceAxis.FormatCompact(v, axis.Step)).ToArray();
            var spacing = labels.Length < 2 ? double.PositiveInfinity : plotWidth * axis.Step / (axis.Max - axis.Min);
            var widest = labels.Max(l => RasterCanvas.MeasureText(l, scale));
            if (maxTicks == 2 || widest + (10 * scale) <= spacing)
            {
                return (axis, labels);
            }
        }
    }

    private static void DrawLegend(RasterCanvas canvas, Rectangle plot, int s, bool withValidation, bool smoothed)
    {
        var entries = new List<(string Label, Color Color)> { (smoothed ? "train (smoothed)" : "train", TrainColor) };
        if (withValidation)
        {
            entries.Add(("validation", ValidationColor));
        }

        var textHeight = BitmapFont.CapHeight * s;
        var swatch = 14 * s;
        var inner = 5 * s;
        var rowHeight = textHeight + (5 * s);
        var boxWidth = inner + swatch + (4 * s) + entries.Max(e => RasterCanvas.MeasureText(e.Label, s)) + inner;
        var boxHeight = (inner * 2) + (rowHeight * entries.Count) - (5 * s);
        var boxLeft = plot.Right - boxWidth - (6 * s);
        var boxTop = plot.Top + (6 * s);
        canvas.FillRectangle(boxLeft, boxTop, boxWidth, boxHeight, Background);
        canvas.DrawRectangle(boxLeft, boxTop, boxWidth, boxHeight, LegendBorder);
        for (var i = 0; i < entries.Count; i++)
        {
            var rowTop = boxTop + inner + (i * rowHeight);
            var middle = rowTop + (textHeight / 2.0);
            canvas.DrawLine(boxLeft + inner, middle, boxLeft + inner + swatch, middle, entries[i].Color, thickness: LineWidth);
            canvas.DrawText(boxLeft + inner + swatch + (4 * s), rowTop, entries[i].Label, Ink, s);
        }
    }
}
