using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TinyGpt.Modeling;

/// <summary>
/// Multi-head causal self-attention with a fused query/key/value projection, computed by
/// scaled-dot-product attention. With a <see cref="KvCache"/> the new positions attend to every
/// cached position plus the new ones up to themselves.
/// </summary>
internal sealed class CausalSelfAttention : nn.Module
{
    private readonly Linear c_attn;
    private readonly Linear c_proj;
    private readonly int _heads;
    private readonly int _headSize;
    private readonly double _attentionDropout;
    private readonly double _residualDropout;
    private readonly double _queryScale;

    public CausalSelfAttention(GptConfig config, int layer)
        : base(nameof(CausalSelfAttention))
    {
        c_attn = nn.Linear(config.EmbeddingSize, 3L * config.EmbeddingSize, hasBias: config.Bias);
        c_proj = nn.Linear(config.EmbeddingSize, config.EmbeddingSize, hasBias: config.Bias);
        _heads = config.HeadCount;
        _headSize = config.HeadSize;
        _attentionDropout = config.AttentionDropoutRate;
        _residualDropout = config.Dropout;
        // SDPA divides the scores by sqrt(head width). GPT-2's two scaling switches change that
        // divisor; scaling the queries by the ratio gives the same scores with one SDPA call.
        _queryScale = (config.ScaleAttentionWeights ? 1.0 : Math.Sqrt(config.HeadSize)) / (config.ScaleAttentionByInverseLayerIndex ? layer + 1 : 1);
        RegisterComponents();
    }

    public Linear OutputProjection => c_proj;

    /// <param name="x">Input of shape [batch, time, width].</param>
    /// <param name="cache">Keys and values of earlier positions, or null for a plain causal forward.</param>
    /// <param name="layer">This block's index in the cache.</param>
    public Tensor forward(Tensor x, IKeyValueCache? cache, int layer)
    {
        var (batch, time, width) = (x.shape[0], x.shape[1], x.shape[2]);
        var decode = cache?.DecodeWeights;
        using var qkv = decode is null ? c_attn.forward(x) : decode.Apply(c_attn, x);
        if (cache is not null && time == 1 && !training && cache.AttendOneToken(layer, qkv, _queryScale / Math.Sqrt(_headSize)) is { } attended)
        {
            using (attended)
            {
                return decode is null ? c_proj.forward(attended) : decode.Apply(c_proj, attended);
            }
        }

        var parts = qkv.split(width, dim: 2);
        using var q = Scaled(parts[0].view(batch, time, _heads, _headSize).transpose(1, 2));
        var k = parts[1].view(batch, time, _heads, _headSize).transpose(1, 2);
        var v = parts[2].view(batch, time, _heads, _headSize).transpose(1, 2);
        foreach (var part in parts)
        {
            part.Dispose();
        }

        Tensor y;
        var p = training ? _attentionDropout : 0.0;
        if (cache is null)
        {
            y = nn.functional.scaled_dot_product_attention(q, k, v, p: p, is_casual: time > 1);
        }
        else
        {
            // The cache decides what the new queries see: causal, everything, or its mask (offsets
            // for a chunked prefill, per-row lengths for a batch of sequences).
            var cached = cache.Append(layer, k, v);
            k.Dispose();
            v.Dispose();
            (k, v) = (cached.Keys, cached.Values);
            y = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: cached.Mask, p: p, is_casual: cached.IsCausal);
        }

        k.Dispose();
        v.Dispose();
        using (y)
        {
            using var merged = y.transpose(1, 2).contiguous().view(batch, time, width);
            var output = decode is null ? c_proj.forward(merged) : decode.Apply(c_proj, merged);
            return training && _residualDropout > 0 ? nn.functional.dropout(output, _residualDropout, training: true) : output;
        }
    }

    private Tensor Scaled(Tensor queries)
    {
        if (_queryScale == 1.0)
        {
            return queries;
        }

        using (queries)
        {
            using var scale = _queryScale.ToScalar();
            return queries.mul(scale);
        }
    }
}
