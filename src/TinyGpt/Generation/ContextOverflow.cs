namespace TinyGpt.Generation;

/// <summary>What generation does when the prompt plus the new tokens would not fit the model's context.</summary>
public enum ContextOverflow
{
    /// <summary>Refuse up front with an error that says by how much it overflows (the default: nothing is dropped silently).</summary>
    Error,

    /// <summary>Keep only the most recent tokens: the prompt is cut from the left, and when the context fills up during generation the last three quarters of it are kept and decoding continues.</summary>
    KeepLastTokens,
}
