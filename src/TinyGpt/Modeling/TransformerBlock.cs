using TinyGpt.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TinyGpt.Modeling;

/// <summary>One pre-LayerNorm transformer block: x + attn(ln_1(x)), then + mlp(ln_2(x)).</summary>
internal sealed class TransformerBlock : nn.Module
{
    private readonly LayerNorm ln_1;
    private readonly CausalSelfAttention attn;
    private readonly LayerNorm ln_2;
    private readonly Mlp mlp;

    public TransformerBlock(GptConfig config, int layer)
        : base(nameof(TransformerBlock))
    {
        ln_1 = nn.LayerNorm(config.EmbeddingSize, config.LayerNormEpsilon, bias: config.Bias);
        attn = new CausalSelfAttention(config, layer);
        ln_2 = nn.LayerNorm(config.EmbeddingSize, config.LayerNormEpsilon, bias: config.Bias);
        mlp = new Mlp(config);
        RegisterComponents();
    }

    /// <summary>The projections that write into the residual stream, which GPT-2 initialises smaller.</summary>
    public IEnumerable<Linear> ResidualProjections => [attn.OutputProjection, mlp.OutputProjection];

    public Tensor forward(Tensor x, IKeyValueCache? cache, int layer)
    {
        using var normed1 = ln_1.forward(x);
        using var attended = attn.forward(normed1, cache, layer);
        using var afterAttention = x.add(attended, OwnedScalars.One);
        using var normed2 = ln_2.forward(afterAttention);
        using var fed = mlp.forward(normed2, cache?.DecodeWeights);
        return afterAttention.add(fed, OwnedScalars.One);
    }
}
