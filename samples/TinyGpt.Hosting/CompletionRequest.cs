using Microsoft.Extensions.AI;

namespace TinyGpt.Samples.Hosting;

/// <summary>The body of <c>POST /complete</c>; property names are camelCase in JSON.</summary>
internal sealed record CompletionRequest
{
    public string? Prompt { get; init; }

    public int MaxNewTokens { get; init; } = 64;

    public float Temperature { get; init; }

    public int TopK { get; init; }

    public float TopP { get; init; } = 1;

    public long? Seed { get; init; }

    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>Problems by field, in the shape of a validation problem; empty when the request is valid.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var problems = new Dictionary<string, string[]>();
        if (MaxNewTokens < 1)
        {
            problems["maxNewTokens"] = [$"must be at least 1 (got {MaxNewTokens})."];
        }

        if (!float.IsFinite(Temperature) || Temperature < 0)
        {
            problems["temperature"] = [$"must be 0 (greedy) or more (got {Temperature})."];
        }

        if (TopK < 0)
        {
            problems["topK"] = [$"must be 0 (off) or more (got {TopK})."];
        }

        if (!(TopP > 0 && TopP <= 1))
        {
            problems["topP"] = [$"must be in (0, 1] (got {TopP})."];
        }

        if (Stop is null || Stop.Any(string.IsNullOrEmpty))
        {
            problems["stop"] = ["must be a list of non-empty strings."];
        }

        return problems;
    }

    public ChatOptions ToChatOptions() => new()
    {
        MaxOutputTokens = MaxNewTokens,
        Temperature = Temperature,
        TopK = TopK,
        TopP = TopP,
        Seed = Seed,
        StopSequences = [.. Stop],
    };
}
