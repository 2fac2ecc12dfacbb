using TinyGpt.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TinyGpt.Modeling;

/// <summary>
/// Transposed copies ([in, out], contiguous) of a model's matrices for generation, made once when
/// a generation starts and freed with its <see cref="KvCache"/>. A token-at-a-time step is a
/// matrix-vector product per layer, bound by reading the weights; with the weights stored
/// [out, in] (<c>linear</c>) that product ran measurably slower here than <c>addmm</c> on the
/// transposed copy (performance.md), so generation pays one copy of the weights up front instead.
/// </summary>
internal sealed class DecodeWeights : IDisposable
{
    private readonly Dictionary<Linear, (Tensor Weight, Tensor Transposed)> _weights = new(ReferenceEqualityComparer.Instance);
    private readonly Tensor _head;

    public DecodeWeights(IEnumerable<Linear> linears, Tensor outputEmbedding)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (var linear in linears)
        {
            var weight = linear.weight!.detach();
            _weights[linear] = (weight.DetachFromDisposeScope(), weight.t().contiguous().DetachFromDisposeScope());
        }

        _head = outputEmbedding.detach().DetachFromDisposeScope();
        Head = _head.t().contiguous().DetachFromDisposeScope();
    }

    /// <summary>The output projection transposed, [width, vocab].</summary>
    public Tensor Head { get; }

    /// <summary><paramref name="linear"/> applied to <paramref name="input"/> [..., in] through its transposed copy.</summary>
    public Tensor Apply(Linear linear, Tensor input)
    {
        var (weight, transposed) = _weights[linear];
        return Multiply(input, weight, transposed, linear.bias);
    }

    /// <summary>The logits of <paramref name="input"/> [..., width] through <see cref="Head"/>.</summary>
    public Tensor ApplyHead(Tensor input) => Multiply(input, _head, Head, null);

    public void Dispose()
    {
        foreach (var (weight, transposed) in _weights.Values)
        {
            weight.Dispose();
            transposed.Dispose();
        }

        _head.Dispose();
        Head.Dispose();
    }

    // One row (a lone sequence's token) multiplies fastest through the transposed copy; several
    // rows (a batch of sequences, a prefill) fastest as W x^T on the [out, in] weights: measured
    // 2.1x on the LM head at 8 rows here (performance.md, "Batched generation").
    private static Tensor Multiply(Tensor input, Tensor weight, Tensor transposed, Tensor? bias)
    {
        using var scope = NewDisposeScope();
        long[] shape = [.. input.shape[..^1], transposed.shape[1]];
        using var rows = input.reshape(-1, input.shape[^1]);
        Tensor product;
        if (rows.shape[0] == 1)
        {
            product = bias is null ? rows.matmul(transposed) : bias.addmm(rows, transposed);
        }
        else
        {
            using var columns = weight.matmul(rows.t());
            product = bias is null ? columns.t().contiguous() : columns.t().add(bias, OwnedScalars.One);
        }

        return product.view(shape).MoveToOuterDisposeScope();
    }
}
