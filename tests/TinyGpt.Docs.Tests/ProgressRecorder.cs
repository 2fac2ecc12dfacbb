namespace TinyGpt.Docs.Tests;

/// <summary>An <see cref="IProgress{T}"/> that calls <paramref name="report"/> at once, on the reporting thread (unlike <see cref="Progress{T}"/>).</summary>
public sealed class ProgressRecorder<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value) => report(value);
}
