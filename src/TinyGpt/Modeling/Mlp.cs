using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TinyGpt.Modeling;

/// <summary>The feed-forward half of a block: widen (4x in GPT-2), the activation (GPT-2: GELU, tanh approximation), project back.</summary>
internal sealed class Mlp : nn.Module<Tensor, Tensor>
{
    // Field names are the GPT-2 tensor names: h.N.mlp.c_fc, h.N.mlp.c_proj.
    private readonly Linear c_fc;
    private readonly Linear c_proj;
    private readonly double _dropout;
    private readonly GptActivation _activation;

    public Mlp(GptConfig config)
        : base(nameof(Mlp))
    {
        c_fc = nn.Linear(config.EmbeddingSize, config.HiddenSize, hasBias: config.Bias);
        c_proj = nn.Linear(config.HiddenSize, config.EmbeddingSize, hasBias: config.Bias);
        _dropout = config.Dropout;
        _activation = config.Activation;
        RegisterComponents();
    }

    /// <summary>The projection that writes into the residual stream (scaled down at initialisation).</summary>
    public Linear OutputProjection => c_proj;

    public override Tensor forward(Tensor input) => forward(input, null);

    /// <summary>The MLP, through <paramref name="decode"/>'s weight layout when there is one.</summary>
    public Tensor forward(Tensor input, DecodeWeights? decode)
    {
        using var widened = decode is null ? c_fc.forward(input) : decode.Apply(c_fc, input);
        using var hidden = _activation switch
        {
            GptActivation.GeluTanh => nn.functional.gelu(widened, GELU.Approximate.tanh),
            GptActivation.Gelu => nn.functional.gelu(widened),
            GptActivation.Relu => nn.functional.relu(widened),
            _ => nn.functional.silu(widened),
        };
        var output = decode is null ? c_proj.forward(hidden) : decode.Apply(c_proj, hidden);
        return training && _dropout > 0 ? nn.functional.dropout(output, _dropout, training: true) : output;
    }
}
