using TinyGpt.Generation;

namespace TinyGpt.Samples.Hosting;

/// <summary>The body of <c>POST /complete</c>.</summary>
internal sealed record CompletionRequest
{
    public string? Prompt { get; init; }

    public int MaxNewTokens { get; init; } = 64;

    public double Temperature { get; init; }

    public int TopK { get; init; }

    public long? Seed { get; init; }

    public GenerationOptions ToOptions() => new()
    {
        MaxNewTokens = MaxNewTokens,
        ContextOverflow = ContextOverflow.KeepLastTokens,
        Sampling = new SamplingOptions { Temperature = Temperature, TopK = TopK, Seed = Seed },
    };
}
