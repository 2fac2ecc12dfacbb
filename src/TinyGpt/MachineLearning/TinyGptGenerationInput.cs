namespace TinyGpt.MachineLearning;

/// <summary>Input row of the custom mapping inside a <see cref="TinyGptTransformer"/>; not meant to be used directly.</summary>
public sealed class TinyGptGenerationInput
{
    /// <summary>The prompt (a copy of the user's prompt column).</summary>
    public string TinyGptPrompt { get; set; } = string.Empty;

    /// <summary>Which stored model to generate with (see <see cref="TinyGptModelStore"/>).</summary>
    public string TinyGptModel { get; set; } = string.Empty;
}
