using System.Text.Json.Serialization;
using TinyGpt.Validation;

namespace TinyGpt.Modeling;

/// <summary>
/// The shape of a GPT-2 style decoder-only transformer. Immutable; use <c>with</c> to derive
/// variants, for example <c>GptConfig.Tiny with { VocabSize = tokenizer.VocabSize }</c>.
/// </summary>
public sealed record GptConfig : IValidatable
{
    /// <summary>Number of token ids the model reads and predicts.</summary>
    public int VocabSize { get; init; } = 16_000;

    /// <summary>The longest sequence the model can attend over (number of learned positions).</summary>
    public int ContextLength { get; init; } = 256;

    /// <summary>Width of the residual stream (embedding size).</summary>
    public int EmbeddingSize { get; init; } = 128;

    /// <summary>Number of transformer blocks.</summary>
    public int LayerCount { get; init; } = 4;

    /// <summary>Number of attention heads; must divide <see cref="EmbeddingSize"/>.</summary>
    public int HeadCount { get; init; } = 4;

    /// <summary>Dropout probability used in training on embeddings, attention and residual branches, in [0, 1).</summary>
    public double Dropout { get; init; }

    /// <summary>Whether linear layers and layer norms have bias terms (GPT-2 has them).</summary>
    public bool Bias { get; init; } = true;

    /// <summary>Whether the output projection shares its weights with the token embedding (GPT-2 does).</summary>
    public bool TieEmbeddings { get; init; } = true;

    /// <summary>Width of one attention head.</summary>
    [JsonIgnore]
    public int HeadSize => HeadCount > 0 ? EmbeddingSize / HeadCount : 0;

    /// <summary>For tests and quick runs: about 0.5 M non-embedding parameters.</summary>
    public static GptConfig Tiny { get; } = new()
    {
        ContextLength = 128,
        EmbeddingSize = 128,
        LayerCount = 2,
        HeadCount = 4,
        Dropout = 0.0,
    };

    /// <summary>A small model that trains on a laptop CPU in minutes and reaches useful WikiText perplexity.</summary>
    public static GptConfig Small { get; } = new()
    {
        ContextLength = 256,
        EmbeddingSize = 256,
        LayerCount = 4,
        HeadCount = 4,
        Dropout = 0.1,
    };

    /// <summary>The original PyTorch project's default: vocab 16,000, width 512, 4 layers, 8 heads, context 512, dropout 0.1.</summary>
    public static GptConfig Seed { get; } = new()
    {
        VocabSize = 16_000,
        ContextLength = 512,
        EmbeddingSize = 512,
        LayerCount = 4,
        HeadCount = 8,
        Dropout = 0.1,
    };

    /// <summary>The shape of <paramref name="preset"/>.</summary>
    public static GptConfig FromPreset(GptPreset preset) => preset switch
    {
        GptPreset.Tiny => Tiny,
        GptPreset.Small => Small,
        GptPreset.Seed => Seed,
        _ => throw new ArgumentOutOfRangeException(nameof(preset), preset, "Not a TinyGpt preset."),
    };

    /// <inheritdoc />
    public IReadOnlyList<string> Validate() => new Problems()
        .Require(VocabSize > 0, $"{nameof(VocabSize)} must be positive (got {VocabSize}).")
        .Require(ContextLength > 0, $"{nameof(ContextLength)} must be positive (got {ContextLength}).")
        .Require(EmbeddingSize > 0, $"{nameof(EmbeddingSize)} must be positive (got {EmbeddingSize}).")
        .Require(LayerCount > 0, $"{nameof(LayerCount)} must be positive (got {LayerCount}).")
        .Require(HeadCount > 0, $"{nameof(HeadCount)} must be positive (got {HeadCount}).")
        .Require(HeadCount <= 0 || EmbeddingSize <= 0 || EmbeddingSize % HeadCount == 0, $"{nameof(EmbeddingSize)} ({EmbeddingSize}) must be divisible by {nameof(HeadCount)} ({HeadCount}); pick a head count that divides the width.")
        .Require(Dropout is >= 0 and < 1, $"{nameof(Dropout)} must be in [0, 1) (got {Dropout}).")
        .ToList();
}
