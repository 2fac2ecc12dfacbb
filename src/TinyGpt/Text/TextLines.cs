using System.Text;

namespace TinyGpt.Text;

/// <summary>Reads UTF-8 text as lines that keep their <c>\n</c>, so joining the lines gives back the text exactly.</summary>
internal static class TextLines
{
    /// <summary>Strict UTF-8: invalid bytes are an error, not silently replaced.</summary>
    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    internal static StreamReader OpenFile(string path) =>
        new(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16), StrictUtf8, detectEncodingFromByteOrderMarks: true);

    internal static IEnumerable<string> ReadFileLines(string path)
    {
        using var reader = OpenFile(path);
        foreach (var line in Split(reader, path))
        {
            yield return line;
        }
    }

    internal static IEnumerable<string> ReadTextLines(string text)
    {
        using var reader = new StringReader(text);
        foreach (var line in Split(reader, source: null))
        {
            yield return line;
        }
    }

    internal static string ReadFileText(string path)
    {
        using var reader = OpenFile(path);
        try
        {
            return reader.ReadToEnd();
        }
        catch (DecoderFallbackException ex)
        {
            throw NotUtf8(path, ex);
        }
    }

    private static IEnumerable<string> Split(TextReader reader, string? source)
    {
        var buffer = new char[1 << 16];
        var pending = new StringBuilder();
        int read;
        while ((read = Read(reader, buffer, source)) > 0)
        {
            var start = 0;
            while (start < read)
            {
                var newline = Array.IndexOf(buffer, '\n', start, read - start);
                if (newline < 0)
                {
                    pending.Append(buffer, start, read - start);
                    break;
                }

                pending.Append(buffer, start, newline - start + 1);
                yield return pending.ToString();
                pending.Clear();
                start = newline + 1;
            }
        }

        if (pending.Length > 0)
        {
            yield return pending.ToString();
        }
    }

    // Iterators cannot catch, so decoding errors are translated here.
    private static int Read(TextReader reader, char[] buffer, string? source)
    {
        try
        {
            return reader.Read(buffer, 0, buffer.Length);
        }
        catch (DecoderFallbackException ex)
        {
            throw NotUtf8(source ?? "(text)", ex);
        }
    }

    private static InvalidDataException NotUtf8(string source, Exception inner) =>
        new($"'{source}' is not valid UTF-8 text ({inner.Message}). Convert it to UTF-8 before using it as a corpus.", inner);

    internal static WordCount Count(IEnumerable<string> lines)
    {
        long lineCount = 0, words = 0;
        foreach (var line in lines)
        {
            lineCount++;
            var inWord = false;
            foreach (var c in line)
            {
                var space = char.IsWhiteSpace(c);
                if (!space && !inWord)
                {
                    words++;
                }

                inWord = !space;
            }
        }

        return new WordCount(lineCount, words);
    }
}
