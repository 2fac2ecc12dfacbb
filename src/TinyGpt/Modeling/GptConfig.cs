using System.Text.Json.Serialization;

namespace TinyGpt.Modeling;

/// <summary>
/// The shape of a GPT-2 style decoder-only transformer. Immutable; use <c>with</c> to derive
/// variants, for example <c>GptConfig.Tiny with { VocabSize = tokenizer.VocabSize }</c>.
/// </summary>
public sealed record GptConfig
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

    /// <summary>Looks up a preset by name (<c>tiny</c>, <c>small</c>, <c>seed</c>; case-insensitive).</summary>
    /// <exception cref="ArgumentException">The name is not a preset.</exception>
    public static GptConfig FromPreset(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToUpperInvariant() switch
        {
            "TINY" => Tiny,
            "SMALL" => Small,
            "SEED" => Seed,
            _ => throw new ArgumentException($"Unknown model preset '{name}'. Use one of: tiny, small, seed.", nameof(name)),
        };
    }

    /// <summary>Lists every problem with this configuration; empty when it is valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (VocabSize <= 0)
        {
            problems.Add($"{nameof(VocabSize)} must be positive (got {VocabSize}).");
        }

        if (ContextLength <= 0)
        {
            problems.Add($"{nameof(ContextLength)} must be positive (got {ContextLength}).");
        }

        if (EmbeddingSize <= 0)
        {
            problems.Add($"{nameof(EmbeddingSize)} must be positive (got {EmbeddingSize}).");
        }

        if (LayerCount <= 0)
        {
            problems.Add($"{nameof(LayerCount)} must be positive (got {LayerCount}).");
        }

        if (HeadCount <= 0)
        {
            problems.Add($"{nameof(HeadCount)} must be positive (got {HeadCount}).");
        }
        else if (EmbeddingSize > 0 && EmbeddingSize % HeadCount != 0)
        {
            problems.Add($"{nameof(EmbeddingSize)} ({EmbeddingSize}) must be divisible by {nameof(HeadCount)} ({HeadCount}); pick a head count that divides the width.");
        }

        if (double.IsNaN(Dropout) || Dropout < 0 || Dropout >= 1)
        {
            problems.Add($"{nameof(Dropout)} must be in [0, 1) (got {Dropout}).");
        }

        return problems;
    }

    /// <summary>Throws when the configuration is invalid; the message lists every problem and the parameter name is the first bad field.</summary>
    /// <exception cref="ArgumentException">The configuration is invalid.</exception>
    public GptConfig EnsureValid()
    {
        var problems = Validate();
        if (problems.Count > 0)
        {
            var field = problems[0].Split(' ', 2)[0];
            throw new ArgumentException("Invalid GptConfig: " + string.Join(" ", problems), field);
        }

        return this;
    }
}
