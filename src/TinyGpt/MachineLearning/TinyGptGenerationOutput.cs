namespace TinyGpt.MachineLearning;

/// <summary>Output row of the custom mapping inside a <see cref="TinyGptTransformer"/>; not meant to be used directly.</summary>
public sealed class TinyGptGenerationOutput
{
    /// <summary>The completion of the prompt.</summary>
    public string TinyGptGenerated { get; set; } = string.Empty;
}
