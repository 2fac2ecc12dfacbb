using System.Text;

namespace TinyGpt.Text;

/// <summary>
/// A corpus made from the user's own UTF-8 text files. The files are joined in the order given (a
/// file that does not end with <c>\n</c> gets one, so files never share a line); the last
/// <see cref="ValidationFraction"/> of the lines, rounded up, become the <c>valid</c> split and the
/// rest the <c>train</c> split. The rule is deterministic: the same files give the same splits.
/// </summary>
public sealed class TextFilesCorpus : ITextCorpus
{
    private readonly Dictionary<string, TextSplit> _splits;

    private TextFilesCorpus(string name, double validationFraction, Dictionary<string, TextSplit> splits)
    {
        Name = name;
        ValidationFraction = validationFraction;
        _splits = splits;
        AvailableSplits = SplitNames.All.Where(splits.ContainsKey).ToArray();
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The fraction of lines held out as the validation split.</summary>
    public double ValidationFraction { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> AvailableSplits { get; }

    /// <summary>Builds the corpus; the text is read once and held in memory.</summary>
    /// <param name="files">UTF-8 text files, in order.</param>
    /// <param name="validationFraction">The fraction of lines, taken from the end, held out for validation: 0 (no validation split) up to 0.5.</param>
    /// <param name="name">A name for cache files and logs.</param>
    /// <exception cref="ArgumentException">No files, a bad fraction, or too few lines to give both splits a line.</exception>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is not valid UTF-8.</exception>
    public static TextFilesCorpus FromFiles(IEnumerable<string> files, double validationFraction = 0.1, string name = "text")
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var paths = files.ToArray();
        if (paths.Length == 0)
        {
            throw new ArgumentException("Give at least one text file.", nameof(files));
        }

        if (double.IsNaN(validationFraction) || validationFraction < 0 || validationFraction > 0.5)
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction,
                "The validation fraction must be between 0 (no validation split) and 0.5.");
        }

        var lines = new List<string>();
        foreach (var path in paths)
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"The text file '{path}' does not exist.", path);
            }

            var before = lines.Count;
            lines.AddRange(TextLines.ReadFileLines(path));
            if (lines.Count > before && !lines[^1].EndsWith('\n'))
            {
                lines[^1] += "\n";
            }
        }

        var validLines = validationFraction == 0 ? 0 : (int)Math.Ceiling(lines.Count * validationFraction);
        var trainLines = lines.Count - validLines;
        if (trainLines == 0 || (validationFraction > 0 && validLines == 0))
        {
            throw new ArgumentException(
                $"The files hold {lines.Count} line(s), too few to split with validation fraction {validationFraction}; " +
                "give more text or a validation fraction of 0.", nameof(files));
        }

        var splits = new Dictionary<string, TextSplit>(StringComparer.Ordinal)
        {
            [SplitNames.Train] = TextSplit.FromText(SplitNames.Train, Join(lines, 0, trainLines)),
        };
        if (validLines > 0)
        {
            splits[SplitNames.Valid] = TextSplit.FromText(SplitNames.Valid, Join(lines, trainLines, validLines));
        }

        return new TextFilesCorpus(name, validationFraction, splits);
    }

    /// <inheritdoc />
    public TextSplit GetSplit(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!SplitNames.All.Contains(name))
        {
            throw new ArgumentException($"Unknown split '{name}'; use one of {string.Join(", ", SplitNames.All)}.", nameof(name));
        }

        return _splits.TryGetValue(name, out var split)
            ? split
            : throw new FileNotFoundException(
                $"The corpus '{Name}' has no {name} split; it has {string.Join(", ", AvailableSplits)}. " +
                "A validation split needs a validation fraction above 0; a test split needs separate files.");
    }

    private static string Join(List<string> lines, int start, int count)
    {
        var builder = new StringBuilder();
        for (var i = start; i < start + count; i++)
        {
            builder.Append(lines[i]);
        }

        return builder.ToString();
    }
}
