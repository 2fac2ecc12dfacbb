namespace TinyGpt.Tests.Training;

/// <summary>Reports on the caller's thread, at once (unlike <see cref="Progress{T}"/>, which posts).</summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
