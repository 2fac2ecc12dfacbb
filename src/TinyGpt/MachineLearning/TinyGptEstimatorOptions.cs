using TinyGpt.Generation;
using TinyGpt.Modeling;

namespace TinyGpt.MachineLearning;

/// <summary>
/// What <c>mlContext.Transforms.Text.TrainTinyGpt(options)</c> (<see cref="TinyGptCatalog"/>)
/// trains on and how the fitted transformer generates. Settable properties, so they bind from configuration.
/// </summary>
public sealed class TinyGptEstimatorOptions
{
    /// <summary>The text column to train on; each row is one line of the corpus.</summary>
    public string TextColumnName { get; set; } = "Text";

    /// <summary>The column holding prompts when transforming.</summary>
    public string PromptColumnName { get; set; } = "Prompt";

    /// <summary>The column the transformer adds, holding the completion of each prompt (without the prompt).</summary>
    public string OutputColumnName { get; set; } = "Generated";

    /// <summary>The run folder for the tokenizer, token files, checkpoints and the final model. Required.</summary>
    public string? RunDirectory { get; set; }

    /// <summary>The model's size.</summary>
    public GptPreset Preset { get; set; } = GptPreset.Tiny;

    /// <summary>Tokens per training sequence, which is also the model's context length; null keeps the preset's.</summary>
    public int? ContextLength { get; set; }

    /// <summary>Vocabulary size of the BPE tokenizer trained on the text column.</summary>
    public int VocabSize { get; set; } = 512;

    /// <summary>Optimizer steps.</summary>
    public int MaxSteps { get; set; } = 200;

    /// <summary>Sequences per optimizer step.</summary>
    public int BatchSize { get; set; } = 8;

    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>Share of the rows (the last ones) held out for validation, in (0, 0.5].</summary>
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>
    /// Seed of the initial weights and the data order. Null (the default) draws it from the
    /// <see cref="Microsoft.ML.MLContext"/>'s own random source, so <c>new MLContext(seed: 1)</c> makes
    /// fitting repeatable as it does for ML.NET's trainers; without a context, null means 1337.
    /// </summary>
    public long? Seed { get; set; }

    /// <summary>Device to train and generate on: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>Most tokens generated per prompt.</summary>
    public int MaxNewTokens { get; set; } = 32;

    /// <summary>How each generated token is chosen; greedy by default, so the output is deterministic.</summary>
    public SamplingOptions Sampling { get; set; } = SamplingOptions.Greedy;
}
