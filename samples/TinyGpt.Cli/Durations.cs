using System.Globalization;
using System.Text.RegularExpressions;

namespace TinyGpt.Cli;

/// <summary>
/// Reads durations as people write them on a command line: <c>20m</c>, <c>90s</c>, <c>1h30m</c>,
/// or <c>hh:mm:ss</c>. Hand-written because .NET reads only the <c>hh:mm:ss</c> form and no
/// maintained library of the stack reads the short one.
/// </summary>
internal static partial class Durations
{
    /// <summary>The duration <paramref name="text"/> names, or null with <paramref name="error"/> saying why not.</summary>
    public static TimeSpan? Parse(string text, out string? error)
    {
        error = null;
        var match = Short().Match(text.Trim());
        if (match.Success && match.Length > 0)
        {
            double Part(string name) => match.Groups[name].Success ? double.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture) : 0;
            var value = TimeSpan.FromHours(Part("h")) + TimeSpan.FromMinutes(Part("m")) + TimeSpan.FromSeconds(Part("s"));
            if (value > TimeSpan.Zero)
            {
                return value;
            }
        }
        else if (TimeSpan.TryParseExact(text.Trim(), [@"h\:mm\:ss", @"hh\:mm\:ss", @"m\:ss"], CultureInfo.InvariantCulture, out var clock) && clock > TimeSpan.Zero)
        {
            return clock;
        }

        error = $"'{text}' is not a positive duration: write it as 20m, 90s, 1h30m or 0:20:00.";
        return null;
    }

    [GeneratedRegex(@"^(?:(?<h>\d+(?:\.\d+)?)h)?(?:(?<m>\d+(?:\.\d+)?)m)?(?:(?<s>\d+(?:\.\d+)?)s)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Short();
}
