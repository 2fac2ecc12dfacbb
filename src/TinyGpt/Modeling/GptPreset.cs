namespace TinyGpt.Modeling;

/// <summary>The model sizes TinyGpt ships; <see cref="GptConfig.FromPreset(GptPreset)"/> gives each one's shape.</summary>
public enum GptPreset
{
    /// <summary>About 0.4 M non-embedding parameters: tests, demos and the main job.</summary>
    Tiny,

    /// <summary>About 3 M non-embedding parameters: trains on a laptop CPU in minutes.</summary>
    Small,

    /// <summary>The original PyTorch project's default: width 512, 4 layers, 8 heads, context 512.</summary>
    Seed,
}
