using System.Globalization;

namespace TinyGpt.Reporting;

/// <summary>
/// Axis ranges and tick labels with "nice numbers" (Heckbert, Graphics Gems, 1990): tick steps
/// are 1, 2 or 5 times a power of ten and the range is widened to whole steps.
/// </summary>
internal sealed class NiceAxis
{
    private NiceAxis(double min, double max, double step)
    {
        Min = min;
        Max = max;
        Step = step;
    }

    /// <summary>Lower end of the axis, a multiple of <see cref="Step"/>.</summary>
    public double Min { get; }

    /// <summary>Upper end of the axis: a multiple of <see cref="Step"/>, or the data's maximum for a tight axis.</summary>
    public double Max { get; }

    /// <summary>Distance between ticks.</summary>
    public double Step { get; }

    /// <summary>Tick values from <see cref="Min"/> up to <see cref="Max"/>; values within rounding of zero are exactly zero.</summary>
    public IReadOnlyList<double> Ticks
    {
        get
        {
            var count = (int)Math.Floor(((Max - Min) / Step) + 1e-9) + 1;
            var ticks = new double[count];
            for (var i = 0; i < count; i++)
            {
                var v = Min + (i * Step);
                ticks[i] = Math.Abs(v) < Step * 1e-9 ? 0 : v;
            }

            return ticks;
        }
    }

    /// <summary>
    /// An axis covering [<paramref name="dataMin"/>, <paramref name="dataMax"/>] with about
    /// <paramref name="maxTicks"/> ticks (never more). A zero-width range is widened around its value.
    /// A loose axis ends on whole steps at both ends; a <paramref name="tight"/> one starts on a whole
    /// step but ends at <paramref name="dataMax"/>, so no room is wasted after the last point.
    /// </summary>
    public static NiceAxis Create(double dataMin, double dataMax, int maxTicks, bool tight = false)
    {
        if (!double.IsFinite(dataMin) || !double.IsFinite(dataMax) || dataMin > dataMax)
        {
            throw new ArgumentException($"Axis range [{dataMin}, {dataMax}] is not a finite, ordered range.", nameof(dataMin));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxTicks, 2);
        if (dataMax - dataMin <= Math.Max(Math.Abs(dataMin), Math.Abs(dataMax)) * 1e-12)
        {
            var pad = dataMin == 0 ? 1 : Math.Abs(dataMin) * 0.1;
            (dataMin, dataMax) = (dataMin - pad, dataMax + pad);
        }

        // Try the intervals a nice step can have, from the finest that fits the tick budget upwards.
        var rough = (dataMax - dataMin) / (maxTicks - 1);
        var exponent = Math.Floor(Math.Log10(rough));
        foreach (var e in new[] { exponent, exponent + 1 })
        {
            foreach (var fraction in new[] { 1.0, 2.0, 5.0 })
            {
                var step = fraction * Math.Pow(10, e);
                var min = Math.Floor((dataMin / step) + 1e-9) * step;
                var max = tight ? dataMax : Math.Ceiling((dataMax / step) - 1e-9) * step;
                if ((int)Math.Floor(((max - min) / step) + 1e-9) + 1 <= maxTicks)
                {
                    return new NiceAxis(min, max, step);
                }
            }
        }

        var last = 10 * Math.Pow(10, exponent + 1);
        var lastMin = Math.Floor(dataMin / last) * last;
        return new NiceAxis(lastMin, tight ? dataMax : Math.Ceiling(dataMax / last) * last, last);
    }

    /// <summary>
    /// Formats <paramref name="value"/> with the fewest decimals that tell ticks <paramref name="step"/>
    /// apart (at least <paramref name="minDecimals"/>), invariant culture.
    /// </summary>
    public static string FormatPlain(double value, double step, int minDecimals = 0)
    {
        var decimals = Math.Clamp(DecimalsFor(step), minDecimals, 6);
        return value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Formats a count compactly with a K, M, B or T suffix chosen per value ("0", "500K", "1M", "1.5M"),
    /// keeping enough decimals to tell ticks <paramref name="step"/> apart and trimming trailing zeros.
    /// </summary>
    public static string FormatCompact(double value, double step)
    {
        var magnitude = Math.Abs(value);
        var (unit, suffix) = magnitude switch
        {
            >= 1e12 => (1e12, "T"),
            >= 1e9 => (1e9, "B"),
            >= 1e6 => (1e6, "M"),
            >= 1e3 => (1e3, "K"),
            _ => (1.0, string.Empty),
        };
        var decimals = Math.Clamp(DecimalsFor(step / unit), 0, 6);
        var text = (value / unit).ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        if (text.Contains('.', StringComparison.Ordinal))
        {
            text = text.TrimEnd('0').TrimEnd('.');
        }

        return text == "-0" ? "0" + suffix : text + suffix;
    }

    private static int DecimalsFor(double step)
    {
        if (!(step > 0) || !double.IsFinite(step))
        {
            return 0;
        }

        for (var decimals = 0; decimals < 6; decimals++)
        {
            var scaled = step * Math.Pow(10, decimals);
            if (scaled >= 1 && Math.Abs(scaled - Math.Round(scaled)) < scaled * 1e-6)
            {
                return decimals;
            }
        }

        return 6;
    }
}
