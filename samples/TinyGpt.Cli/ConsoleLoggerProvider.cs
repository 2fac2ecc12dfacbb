using Microsoft.Extensions.Logging;

namespace TinyGpt.Cli;

/// <summary>Creates <see cref="ConsoleLogger"/>s.</summary>
internal sealed class ConsoleLoggerProvider(LogLevel minimum = LogLevel.Information) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new ConsoleLogger(categoryName, minimum);

    public void Dispose()
    {
    }
}
