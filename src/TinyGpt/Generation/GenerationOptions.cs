using TinyGpt.Validation;

namespace TinyGpt.Generation;

/// <summary>What to generate: how many tokens, when to stop, how to choose each token.</summary>
public sealed record GenerationOptions : IValidatable
{
    /// <summary>Most tokens to generate after the prompt. Must be at least 1.</summary>
    public int MaxNewTokens { get; init; } = 128;

    /// <summary>Token ids that end generation when drawn; the stop token itself is not returned.</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>
    /// Text that ends generation when it appears in the output (text generation only); the output
    /// ends just before the first one, and the stop string itself is not returned. Decoding stops at
    /// the token that completes it.
    /// </summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Whether the tokenizer's end-of-text token also stops generation (text generation only).</summary>
    public bool StopAtEndOfText { get; init; } = true;

    /// <summary>What to do when the prompt and new tokens would exceed the model's context.</summary>
    public ContextOverflow ContextOverflow { get; init; } = ContextOverflow.Error;

    /// <summary>How each token is chosen.</summary>
    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Checks that a batch call got one options object per prompt.</summary>
    internal static void EnsureOnePerPrompt(IReadOnlyList<GenerationOptions> options, int prompts)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Count != prompts)
        {
            throw new ArgumentException($"Give one options object per prompt, or one for all: got {options.Count} options for {prompts} prompts.", nameof(options));
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Validate() => new Problems()
        .Require(MaxNewTokens >= 1, $"{nameof(MaxNewTokens)} must be at least 1 (got {MaxNewTokens}).")
        .Require(Sampling is not null, $"{nameof(Sampling)} must not be null.")
        .Include(Sampling)
        .Require(StopTokenIds is not null, $"{nameof(StopTokenIds)} must not be null; use an empty list.")
        .Require(StopStrings is not null, $"{nameof(StopStrings)} must not be null; use an empty list.")
        .Require(StopStrings is null || StopStrings.All(s => !string.IsNullOrEmpty(s)), $"{nameof(StopStrings)} must not hold null or empty strings (an empty stop string would stop before the first token).")
        .ToList();
}
