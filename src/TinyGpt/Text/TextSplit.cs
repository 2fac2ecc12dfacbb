namespace TinyGpt.Text;

/// <summary>
/// One split of a corpus: its text, read either from a UTF-8 file or held in memory.
/// </summary>
public sealed class TextSplit
{
    private readonly string? _text;
    private string? _textSha256;

    private TextSplit(string name, string? filePath, string? text)
    {
        Name = name;
        FilePath = filePath;
        _text = text;
    }

    /// <summary>The split name, one of <see cref="SplitNames"/>.</summary>
    public string Name { get; }

    /// <summary>The file the split is read from, or null when its text is held in memory.</summary>
    public string? FilePath { get; }

    /// <summary>A split backed by a UTF-8 file; the file is read each time the text is asked for.</summary>
    public static TextSplit FromFile(string name, string filePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        if (!File.Exists(filePath))
        {
            throw new FileNotFoundException($"The text file for split '{name}' does not exist: '{filePath}'.", filePath);
        }

        return new TextSplit(name, Path.GetFullPath(filePath), null);
    }

    /// <summary>A split whose text is held in memory.</summary>
    public static TextSplit FromText(string name, string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(text);
        return new TextSplit(name, null, text);
    }

    /// <summary>The lines of the split, each with its <c>\n</c> (the last may lack one); joined they equal <see cref="ReadAllText"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not valid UTF-8.</exception>
    public IEnumerable<string> ReadLines() =>
        _text is not null ? TextLines.ReadTextLines(_text) : TextLines.ReadFileLines(FilePath!);

    /// <summary>The whole text of the split.</summary>
    /// <exception cref="InvalidDataException">The file is not valid UTF-8.</exception>
    public string ReadAllText() => _text ?? TextLines.ReadFileText(FilePath!);

    /// <summary>
    /// The sha256 (lower-case hex) of the split's content: of the file's bytes, or of the UTF-8
    /// encoding of in-memory text. Token caches use it to notice a changed source.
    /// </summary>
    public string ComputeSha256() =>
        _text is not null ? _textSha256 ??= Sha256Hex.OfText(_text) : Sha256Hex.OfFile(FilePath!);

    /// <summary>Counts words the way the WikiText paper does: whitespace-separated words plus one per line.</summary>
    public WordCount CountWords() => TextLines.Count(ReadLines());
}
