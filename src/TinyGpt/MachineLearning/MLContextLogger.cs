using Microsoft.Extensions.Logging;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace TinyGpt.MachineLearning;

/// <summary>An <see cref="ILogger"/> that writes to an <see cref="MLContext"/>'s log (<see cref="MLContext.Log"/>), through a channel named TinyGpt.</summary>
internal sealed class MLContextLogger(MLContext context) : ILogger
{
    private readonly IChannel _channel = ((IChannelProvider)context).Start("TinyGpt");

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var message = formatter(state, exception);
        switch (logLevel)
        {
            case >= LogLevel.Error:
                _channel.Error(MessageSensitivity.None, message);
                break;
            case LogLevel.Warning:
                _channel.Warning(MessageSensitivity.None, message);
                break;
            default:
                _channel.Info(MessageSensitivity.None, message);
                break;
        }
    }
}
