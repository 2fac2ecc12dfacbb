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

    /// <summary>
    /// Dropout probability used in training on the residual branches (the outputs of attention and
    /// of the MLP), in [0, 1); also the embedding and attention dropout unless those are set
    /// (GPT-2's <c>resid_pdrop</c>).
    /// </summary>
    public double Dropout { get; init; }

    /// <summary>
    /// Dropout probability on the attention weights in training, in [0, 1); null means
    /// <see cref="Dropout"/> (GPT-2's <c>attn_pdrop</c>).
    /// </summary>
    public double? AttentionDropout { get; init; }

    /// <summary>
    /// Dropout probability on the summed token and position embeddings in training, in [0, 1); null
    /// means <see cref="Dropout"/> (GPT-2's <c>embd_pdrop</c>).
    /// </summary>
    public double? EmbeddingDropout { get; init; }

    /// <summary>Whether linear layers and layer norms have bias terms (GPT-2 has them).</summary>
    public bool Bias { get; init; } = true;

    /// <summary>Whether the output projection shares its weights with the token embedding (GPT-2 does).</summary>
    public bool TieEmbeddings { get; init; } = true;

    /// <summary>Epsilon of every LayerNorm (GPT-2: 1e-5).</summary>
    public double LayerNormEpsilon { get; init; } = 1e-5;

    /// <summary>Width of the MLP's hidden layer; null means 4 x <see cref="EmbeddingSize"/> (GPT-2's <c>n_inner</c>).</summary>
    public int? FeedForwardSize { get; init; }

    /// <summary>The MLP's nonlinearity (GPT-2: GELU with the tanh approximation).</summary>
    public GptActivation Activation { get; init; } = GptActivation.GeluTanh;

    /// <summary>Whether attention scores are divided by the square root of the head width (GPT-2's <c>scale_attn_weights</c>, on by default).</summary>
    public bool ScaleAttentionWeights { get; init; } = true;

    /// <summary>Whether the attention scores of block i (from 0) are also divided by i + 1 (GPT-2's <c>scale_attn_by_inverse_layer_idx</c>, off by default).</summary>
    public bool ScaleAttentionByInverseLayerIndex { get; init; }

    /// <summary>Width of one attention head.</summary>
    [JsonIgnore]
    public int HeadSize => HeadCount > 0 ? EmbeddingSize / HeadCount : 0;

    /// <summary>The attention dropout in effect: <see cref="AttentionDropout"/>, or <see cref="Dropout"/>.</summary>
    [JsonIgnore]
    public double AttentionDropoutRate => AttentionDropout ?? Dropout;

    /// <summary>The embedding dropout in effect: <see cref="EmbeddingDropout"/>, or <see cref="Dropout"/>.</summary>
    [JsonIgnore]
    public double EmbeddingDropoutRate => EmbeddingDropout ?? Dropout;

    /// <summary>Width of the MLP's hidden layer: <see cref="FeedForwardSize"/>, or 4 x <see cref="EmbeddingSize"/>.</summary>
    [JsonIgnore]
    public int HiddenSize => FeedForwardSize ?? (4 * EmbeddingSize);

    /// <summary>For tests and quick runs: about 0.5 M non-embedding parameters.</summary>
    public static GptConfig Tiny { get; } = new()
    {
        ContextLength = 128,
        EmbeddingSize = 128,
        LayerCount = 2,
        HeadCount = 4,
        Dropout = 0.0,
    };

    /// <summary>
    /// A small model that trains on a laptop CPU in minutes and reaches useful WikiText perplexity:
    /// 6 layers of width 192 (heads of 64), which beat 4 layers of width 256 in the same 20 minutes
    /// (word perplexity 2,547 against 2,843, performance.md).
    /// </summary>
    public static GptConfig Small { get; } = new()
    {
        ContextLength = 256,
        EmbeddingSize = 192,
        LayerCount = 6,
        HeadCount = 3,
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

    /// <summary>
    /// The settings in which this configuration and <paramref name="other"/> differ, each as
    /// "Name value <paramref name="thisName"/>, other value <paramref name="otherName"/>".
    /// </summary>
    internal IReadOnlyList<string> DifferencesFrom(GptConfig other, string thisName, string otherName) =>
        [.. typeof(GptConfig).GetProperties()
            .Where(p => p.GetIndexParameters().Length == 0 && !Attribute.IsDefined(p, typeof(JsonIgnoreAttribute)) && p.GetMethod is { IsStatic: false })
            .Where(p => !Equals(p.GetValue(this), p.GetValue(other)))
            .Select(p => $"{p.Name} {p.GetValue(this) ?? "default"} {thisName}, {p.GetValue(other) ?? "default"} {otherName}")];

    /// <inheritdoc />
    public IReadOnlyList<string> Validate() => new Problems()
        .Require(VocabSize > 0, $"{nameof(VocabSize)} must be positive (got {VocabSize}).")
        .Require(ContextLength > 0, $"{nameof(ContextLength)} must be positive (got {ContextLength}).")
        .Require(EmbeddingSize > 0, $"{nameof(EmbeddingSize)} must be positive (got {EmbeddingSize}).")
        .Require(LayerCount > 0, $"{nameof(LayerCount)} must be positive (got {LayerCount}).")
        .Require(HeadCount > 0, $"{nameof(HeadCount)} must be positive (got {HeadCount}).")
        .Require(HeadCount <= 0 || EmbeddingSize <= 0 || EmbeddingSize % HeadCount == 0, $"{nameof(EmbeddingSize)} ({EmbeddingSize}) must be divisible by {nameof(HeadCount)} ({HeadCount}); pick a head count that divides the width.")
        .Require(Dropout is >= 0 and < 1, $"{nameof(Dropout)} must be in [0, 1) (got {Dropout}).")
        .Require(AttentionDropout is null or (>= 0 and < 1), $"{nameof(AttentionDropout)} must be in [0, 1), or null for {nameof(Dropout)} (got {AttentionDropout}).")
        .Require(EmbeddingDropout is null or (>= 0 and < 1), $"{nameof(EmbeddingDropout)} must be in [0, 1), or null for {nameof(Dropout)} (got {EmbeddingDropout}).")
        .Require(LayerNormEpsilon is > 0 and < 1, $"{nameof(LayerNormEpsilon)} must be in (0, 1) (got {LayerNormEpsilon}).")
        .Require(FeedForwardSize is null or > 0, $"{nameof(FeedForwardSize)} must be positive, or null for 4 x {nameof(EmbeddingSize)} (got {FeedForwardSize}).")
        .Require(Enum.IsDefined(Activation), $"{nameof(Activation)} must be one of {string.Join(", ", Enum.GetNames<GptActivation>())} (got {(int)Activation}).")
        .ToList();
}
