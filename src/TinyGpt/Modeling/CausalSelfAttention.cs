using TinyGpt.Torch;
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
    private readonly double _dropout;
    private readonly double _queryScale;

    public CausalSelfAttention(GptConfig config, int layer)
        : base(nameof(CausalSelfAttention))
    {
        c_attn = nn.Linear(config.EmbeddingSize, 3L * config.EmbeddingSize, hasBias: config.Bias);
        c_proj = nn.Linear(config.EmbeddingSize, config.EmbeddingSize, hasBias: config.Bias);
        _heads = config.HeadCount;
        _headSize = config.HeadSize;
        _dropout = config.Dropout;
        // SDPA divides the scores by sqrt(head width). GPT-2's two scaling switches change that
        // divisor; scaling the queries by the ratio gives the same scores with one SDPA call.
        _queryScale = (config.ScaleAttentionWeights ? 1.0 : Math.Sqrt(config.HeadSize)) / (config.ScaleAttentionByInverseLayerIndex ? layer + 1 : 1);
        RegisterComponents();
    }

    public Linear OutputProjection => c_proj;

    /// <param name="x">Input of shape [batch, time, width].</param>
    /// <param name="cache">Keys and values of earlier positions, or null for a plain causal forward.</param>
    /// <param name="layer">This block's index in the cache.</param>
    public Tensor forward(Tensor x, KvCache? cache, int layer)
    {
        var (batch, time, width) = (x.shape[0], x.shape[1], x.shape[2]);
        var decode = cache?.DecodeWeights;
        using var qkv = decode is null ? c_attn.forward(x) : decode.Apply(c_attn, x);
        var parts = qkv.split(width, dim: 2);
        using var q = Scaled(parts[0].view(batch, time, _heads, _headSize).transpose(1, 2));
        var k = parts[1].view(batch, time, _heads, _headSize).transpose(1, 2);
        var v = parts[2].view(batch, time, _heads, _headSize).transpose(1, 2);
        foreach (var part in parts)
        {
            part.Dispose();
        }

        var offset = cache?.Length ?? 0;
        if (cache is not null)
        {
            var (allKeys, allValues) = cache.Append(layer, k, v);
            k.Dispose();
            v.Dispose();
            (k, v) = (allKeys, allValues);
        }

        Tensor y;
        var p = training ? _dropout : 0.0;
        if (offset == 0)
        {
            // Nothing cached before: the usual lower-triangular mask, which SDPA builds itself.
            y = nn.functional.scaled_dot_product_attention(q, k, v, p: p, is_casual: time > 1);
        }
        else if (time == 1)
        {
            // One new token sees every cached position and itself: no mask at all.
            y = nn.functional.scaled_dot_product_attention(q, k, v, p: p);
        }
        else
        {
            // Chunked prefill onto a non-empty cache. SDPA's own causal mask is aligned to the top
            // left, which would hide cached positions from the new ones (the original project's
            // bug), so build the mask with the offset: query i (position offset+i) sees key j <= offset+i.
            using var queryRange = OwnedScalars.Arange(offset, offset + time, x.device);
            using var keyRange = OwnedScalars.Arange(0, offset + time, x.device);
            using var queryPositions = queryRange.unsqueeze(1);
            using var keyPositions = keyRange.unsqueeze(0);
            using var mask = keyPositions.le(queryPositions);
            y = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask, p: p);
        }

        k.Dispose();
        v.Dispose();
        using (y)
        {
            using var merged = y.transpose(1, 2).contiguous().view(batch, time, width);
            var output = decode is null ? c_proj.forward(merged) : decode.Apply(c_proj, merged);
            return training && _dropout > 0 ? nn.functional.dropout(output, _dropout, training: true) : output;
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
