using Microsoft.Extensions.Logging.Abstractions;
using TinyGpt.Docs.Tests.Snippets;
using TinyGpt.Training;

namespace TinyGpt.Docs.Tests;

/// <summary>
/// The <c>runs/demo</c> folder the docs talk about: a workspace in which the GptBuilder snippet of
/// docs/hosting.md has run (a tiny model, 60 steps), shared by the hosting and generation tests.
/// </summary>
public sealed class DemoRunFixture : IAsyncLifetime, IDisposable
{
    private static readonly string[] Sentences =
    [
        "the quick brown fox jumps over the lazy dog.",
        "a small model learns to repeat what it reads.",
        "every line of this corpus is seen many times.",
    ];

    /// <summary>The training text: three sentences, 40 times.</summary>
    public static string Corpus => string.Concat(Enumerable.Repeat(string.Join("\n", Sentences) + "\n", 40));

    /// <summary>The folder that holds <c>runs/demo</c>.</summary>
    public DocsWorkspace Workspace { get; } = new();

    /// <summary>What the snippet's <c>TrainAsync</c> returned.</summary>
    public TrainingResult Result { get; private set; } = null!;

    /// <summary>What the snippet's <c>EvaluateAsync("valid")</c> returned.</summary>
    public EvaluationResult Validation { get; private set; } = null!;

    /// <summary>What the snippet's <c>GenerateAsync</c> returned.</summary>
    public string Completion { get; private set; } = null!;

    /// <summary>What the snippet's streaming loop wrote to the console.</summary>
    public string Streamed { get; private set; } = null!;

    /// <summary>The steps training reported progress for.</summary>
    public IReadOnlyList<int> ReportedSteps { get; private set; } = [];

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var steps = new List<int>();
        using (Workspace.Enter())
        using (var console = new ConsoleCapture())
        {
            (Result, Validation, Completion) = await HostingBuilderSnippet.RunAsync(
                Corpus, NullLogger.Instance, new ProgressRecorder<TrainingProgress>(p => steps.Add(p.Step)), CancellationToken.None);
            Streamed = console.Text;
        }

        ReportedSteps = steps;
    }

    /// <inheritdoc />
    public Task DisposeAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public void Dispose() => Workspace.Dispose();
}
