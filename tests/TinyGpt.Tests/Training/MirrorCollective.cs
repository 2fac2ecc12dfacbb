using TinyGpt.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Tests.Training;

/// <summary>
/// Rank 0 of a two-rank job whose other rank is an exact copy of this one: every sum is twice the
/// local value, so averaged gradients equal the local ones. A non-blocking all-reduce reads its
/// tensor when it starts, as MPI may, and writes the sum on <see cref="ICollectiveRequest.Wait"/>:
/// starting one before the tensor holds its final values gives a wrong result.
/// </summary>
internal sealed class MirrorCollective : ICollective
{
    /// <summary>When set, non-blocking all-reduces throw it instead of starting.</summary>
    public Exception? FailAsync { get; set; }

    /// <summary>How many non-blocking all-reduces were started.</summary>
    public int AsyncStarted { get; private set; }

    /// <summary>How many blocking all-reduces ran.</summary>
    public int BlockingCalls { get; private set; }

    /// <summary>The messages of <see cref="Abort"/> calls (which do not end the test process).</summary>
    public List<string> Aborts { get; } = [];

    public int Rank => 0;

    public int WorldSize => 2;

    public int LocalRank => 0;

    public void AllReduceSum(Tensor tensor)
    {
        BlockingCalls++;
        using var two = 2.ToScalar();
        tensor.mul_(two);
    }

    public ICollectiveRequest AllReduceSumAsync(Tensor tensor)
    {
        if (FailAsync is not null)
        {
            throw FailAsync;
        }

        AsyncStarted++;
        using var two = 2.ToScalar();
        return new Request(tensor, tensor.mul(two).DetachFromDisposeScope());
    }

    public void Broadcast(Tensor tensor, int root = 0)
    {
    }

    public void AllGather(Tensor input, Tensor output) => output.copy_(cat([input.reshape(-1), input.reshape(-1)], 0).reshape(output.shape));

    public void Barrier()
    {
    }

    public void Abort(string message, int exitCode = 1) => Aborts.Add(message);

    public void Dispose()
    {
    }

    private sealed class Request(Tensor target, Tensor sum) : ICollectiveRequest
    {
        private bool _done;

        public void Wait()
        {
            if (!_done)
            {
                target.copy_(sum);
                sum.Dispose();
                _done = true;
            }
        }
    }
}
