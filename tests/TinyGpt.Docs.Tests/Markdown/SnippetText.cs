namespace TinyGpt.Docs.Tests;

/// <summary>Brings a doc block and a compiled region to one form so they can be compared as text.</summary>
public static class SnippetText
{
    /// <summary>
    /// Removes trailing whitespace from every line, blank lines at the start and the end, and the
    /// indentation all non-blank lines share; joins the lines with <c>\n</c>.
    /// </summary>
    public static string Normalize(IEnumerable<string> lines)
    {
        var trimmed = lines.Select(line => line.TrimEnd()).ToList();
        var first = trimmed.FindIndex(line => line.Length > 0);
        if (first < 0)
        {
            return string.Empty;
        }

        var last = trimmed.FindLastIndex(line => line.Length > 0);
        var body = trimmed.GetRange(first, last - first + 1);
        var indent = body.Where(line => line.Length > 0).Min(line => line.Length - line.TrimStart().Length);
        return string.Join('\n', body.Select(line => line.Length == 0 ? line : line[indent..]));
    }
}
