using static TorchSharp.torch;

namespace TinyGpt.Modeling;

/// <summary>
/// An identity on the residual stream in front of a transformer block, as a custom autograd
/// function: its forward returns the input unchanged and its backward passes the gradient through
/// unchanged, after telling an <see cref="IBlockBackwardObserver"/> that the block is done.
/// TorchSharp has no tensor or gradient-accumulator hooks; this node is how the training loop sees
/// the backward pass move from one block to the next.
/// </summary>
/// <remarks>
/// libtorch runs this node only once every gradient into it has arrived, that is after every node
/// of the block above it; and it runs the nodes that accumulate a parameter's gradient as soon as
/// they are ready, before any other. The ordering test in GptModelBackwardBoundaryTests checks both.
/// </remarks>
internal sealed class BlockBoundary : autograd.SingleTensorFunction<BlockBoundary>
{
    private const string ObserverKey = "observer";
    private const string BlockKey = "block";

    /// <inheritdoc />
    public override string Name => nameof(BlockBoundary);

    /// <summary>Returns <paramref name="x"/> through a boundary node that reports to <paramref name="observer"/> when backward passes it; <paramref name="x"/> itself when it needs no gradient.</summary>
    public static Tensor Mark(Tensor x, IBlockBackwardObserver observer, int block) =>
        x.requires_grad ? apply(x, observer, block) : x;

    /// <inheritdoc />
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(vars);
        ctx.save_data(ObserverKey, vars[1]);
        ctx.save_data(BlockKey, vars[2]);
        // An alias, not the input itself, so that libtorch gives the output this node as its gradient function.
        return ((Tensor)vars[0]).alias();
    }

    /// <inheritdoc />
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        ((IBlockBackwardObserver)ctx.get_data(ObserverKey)).BlockBackwardCompleted((int)ctx.get_data(BlockKey));
        // One gradient per forward argument; the observer and the block number have none.
        return [grad_output, null!, null!];
    }
}
