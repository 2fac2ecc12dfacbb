using TorchSharp;

namespace TinyGpt.Distributed.Diagnostics;

/// <summary>The outcome of one exact all-reduce check: every rank filled rank-dependent values and compared the sum element by element.</summary>
/// <param name="DType">The element type reduced.</param>
/// <param name="Elements">The number of elements reduced.</param>
/// <param name="MismatchedElements">Elements that differed from the exact expected sum, counted over all ranks.</param>
public sealed record AllReduceCorrectness(torch.ScalarType DType, long Elements, long MismatchedElements)
{
    /// <summary>True when every rank got the exact sum in every element.</summary>
    public bool Passed => MismatchedElements == 0;
}
