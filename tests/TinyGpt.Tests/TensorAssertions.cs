using static TorchSharp.torch;

namespace TinyGpt.Tests;

internal static class TensorAssertions
{
    /// <summary>True when both tensors have the same shape and bitwise-equal elements (torch.equal returns a tensor in TorchSharp).</summary>
    public static bool SameAs(this Tensor actual, Tensor expected) =>
        actual.shape.SequenceEqual(expected.shape) && actual.eq(expected).all().item<bool>();
}
