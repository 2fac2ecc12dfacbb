using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TinyGpt.Modeling;

/// <summary>The feed-forward half of a block: widen 4x, GELU (tanh approximation, as GPT-2), project back.</summary>
internal sealed class Mlp : nn.Module<Tensor, Tensor>
{
    // Field names are the GPT-2 tensor names: h.N.mlp.c_fc, h.N.mlp.c_proj.
    private readonly Linear c_fc;
    private readonly Linear c_proj;
    private readonly double _dropout;

    public Mlp(GptConfig config)
        : base(nameof(Mlp))
    {
        c_fc = nn.Linear(config.EmbeddingSize, 4L * config.EmbeddingSize, hasBias: config.Bias);
        c_proj = nn.Linear(4L * config.EmbeddingSize, config.EmbeddingSize, hasBias: config.Bias);
        _dropout = config.Dropout;
        RegisterComponents();
    }

    /// <summary>The projection that writes into the residual stream (scaled down at initialisation).</summary>
    public Linear OutputProjection => c_proj;

    public override Tensor forward(Tensor input)
    {
        using var hidden = nn.functional.gelu(c_fc.forward(input), GELU.Approximate.tanh);
        var output = c_proj.forward(hidden);
        return training && _dropout > 0 ? nn.functional.dropout(output, _dropout, training: true) : output;
    }
}
