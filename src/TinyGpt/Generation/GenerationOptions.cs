namespace TinyGpt.Generation;

/// <summary>What to generate: how many tokens, when to stop, how to choose each token.</summary>
public sealed record GenerationOptions
{
    /// <summary>Most tokens to generate after the prompt. Must be at least 1.</summary>
    public int MaxNewTokens { get; init; } = 128;

    /// <summary>Token ids that end generation when drawn; the stop token itself is not returned.</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>Whether the tokenizer's end-of-text token also stops generation (text generation only).</summary>
    public bool StopAtEndOfText { get; init; } = true;

    /// <summary>What to do when the prompt and new tokens would exceed the model's context.</summary>
    public ContextOverflow ContextOverflow { get; init; } = ContextOverflow.Error;

    /// <summary>How each token is chosen.</summary>
    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Lists every problem with these options; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MaxNewTokens < 1)
        {
            problems.Add($"{nameof(MaxNewTokens)} must be at least 1 (got {MaxNewTokens}).");
        }

        if (Sampling is null)
        {
            problems.Add($"{nameof(Sampling)} must not be null.");
        }
        else
        {
            problems.AddRange(Sampling.Validate());
        }

        if (StopTokenIds is null)
        {
            problems.Add($"{nameof(StopTokenIds)} must not be null; use an empty list.");
        }

        return problems;
    }

    /// <summary>Throws when the options are invalid; the parameter name is the first bad field.</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public GenerationOptions EnsureValid()
    {
        var problems = Validate();
        return problems.Count == 0 ? this : throw new ArgumentException("Invalid GenerationOptions: " + string.Join(" ", problems), problems[0].Split(' ', 2)[0]);
    }
}
