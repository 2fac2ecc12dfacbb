namespace TinyGpt.Hosting;

/// <summary>
/// <see cref="GptBuilder.Build"/> found problems with what was configured. <see cref="Problems"/>
/// lists every one of them, so all can be fixed at once; the message joins them.
/// </summary>
public sealed class GptBuilderValidationException : Exception
{
    /// <summary>Creates the exception with no problems listed.</summary>
    public GptBuilderValidationException()
        : this([])
    {
    }

    /// <summary>Creates the exception with one problem.</summary>
    public GptBuilderValidationException(string message)
        : this([message])
    {
    }

    /// <summary>Creates the exception with one problem and the error that caused it.</summary>
    public GptBuilderValidationException(string message, Exception innerException)
        : base(message, innerException) => Problems = [message];

    /// <summary>Creates the exception listing <paramref name="problems"/>.</summary>
    public GptBuilderValidationException(IReadOnlyList<string> problems)
        : base(Describe(problems)) => Problems = problems ?? [];

    /// <summary>Every problem found, one sentence each.</summary>
    public IReadOnlyList<string> Problems { get; }

    private static string Describe(IReadOnlyList<string>? problems) =>
        problems is null || problems.Count == 0
            ? "The TinyGpt builder configuration is invalid."
            : $"The TinyGpt builder configuration has {problems.Count} problem(s):" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p));
}
