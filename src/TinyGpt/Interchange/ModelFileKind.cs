namespace TinyGpt.Interchange;

/// <summary>The kinds of files a model loads from.</summary>
public enum ModelFileKind
{
    /// <summary>A TinyGpt model file: weights and configuration (a run's <c>model.safetensors</c>).</summary>
    Model,

    /// <summary>A TinyGpt checkpoint: weights, configuration, optimizer and trainer state.</summary>
    Checkpoint,

    /// <summary>A Hugging Face GPT-2 folder: <c>config.json</c> and <c>model.safetensors</c>.</summary>
    HuggingFaceGpt2,
}
