using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace TinyGpt.Cli;

/// <summary>Writes log messages through Spectre.Console, so they appear above a live progress bar.</summary>
internal sealed class ConsoleLogger(LogLevel minimum) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var message = formatter(state, exception);
        var time = DateTime.Now.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        if (!CliErrors.Interactive)
        {
            // One unwrapped line per message, so logs stay greppable; written off the training thread.
            BackgroundLineWriter.Instance.WriteLine($"{time} {message}");
            return;
        }

        var colour = logLevel >= LogLevel.Error ? "red" : logLevel == LogLevel.Warning ? "yellow" : "grey";
        AnsiConsole.MarkupLineInterpolated($"[{colour}]{time}[/] {message}");
    }
}
