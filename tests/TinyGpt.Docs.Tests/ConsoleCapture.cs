using System.Text;

namespace TinyGpt.Docs.Tests;

/// <summary>Captures what a snippet writes with <see cref="Console.Write(string)"/> until disposed.</summary>
public sealed class ConsoleCapture : IDisposable
{
    private readonly TextWriter _previous = Console.Out;
    private readonly StringBuilder _text = new();

    /// <summary>Starts capturing.</summary>
    public ConsoleCapture() => Console.SetOut(new StringWriter(_text));

    /// <summary>What was written so far.</summary>
    public string Text => _text.ToString();

    /// <inheritdoc />
    public void Dispose() => Console.SetOut(_previous);
}
