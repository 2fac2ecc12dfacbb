namespace TinyGpt.Generation;

/// <summary>Why a generation ended.</summary>
public enum GenerationFinishReason
{
    /// <summary>The model drew a stop token (the end-of-text token or one of <see cref="GenerationOptions.StopTokenIds"/>).</summary>
    StopToken,

    /// <summary>The output reached one of <see cref="GenerationOptions.StopStrings"/>.</summary>
    StopString,

    /// <summary><see cref="GenerationOptions.MaxNewTokens"/> tokens were generated.</summary>
    MaxNewTokens,
}
