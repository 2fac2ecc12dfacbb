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
    private readonly Dictionary<Linear, Tensor> _transposed = new(ReferenceEqualityComparer.Instance);

    public DecodeWeights(IEnumerable<Linear> linears, Tensor outputEmbedding)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (var linear in linears)
        {
            _transposed[linear] = linear.weight!.detach().t().contiguous().DetachFromDisposeScope();
        }

        Head = outputEmbedding.detach().t().contiguous().DetachFromDisposeScope();
    }

    /// <summary>The output projection transposed, [width, vocab].</summary>
    public Tensor Head { get; }

    /// <summary><paramref name="linear"/> applied to <paramref name="input"/> [..., in] through its transposed copy.</summary>
    public Tensor Apply(Linear linear, Tensor input) => Multiply(input, _transposed[linear], linear.bias);

    /// <summary>The logits of <paramref name="input"/> [..., width] through <see cref="Head"/>.</summary>
    public Tensor ApplyHead(Tensor input) => Multiply(input, Head, null);

    public void Dispose()
    {
        foreach (var weight in _transposed.Values)
        {
            weight.Dispose();
        }

        Head.Dispose();
    }

    private static Tensor Multiply(Tensor input, Tensor transposed, Tensor? bias)
    {
        using var scope = NewDisposeScope();
        long[] shape = [.. input.shape[..^1], transposed.shape[1]];
        using var rows = input.reshape(-1, input.shape[^1]);
        var product = bias is null ? rows.matmul(transposed) : bias.addmm(rows, transposed);
        return product.view(shape).MoveToOuterDisposeScope();
    }
}
