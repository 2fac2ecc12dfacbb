using TorchSharp;

namespace TinyGpt.Training;

/// <summary>
/// The collective of a job with one process: every operation is the identity, so the trainer runs
/// the same code with or without MPI.
/// </summary>
public sealed class SingleProcessCollective : ICollective
{
    /// <summary>The shared instance; it holds no state.</summary>
    public static SingleProcessCollective Instance { get; } = new();

    /// <inheritdoc />
    public int Rank => 0;

    /// <inheritdoc />
    public int WorldSize => 1;

    /// <inheritdoc />
    public int LocalRank => 0;

    /// <inheritdoc />
    public void AllReduceSum(torch.Tensor tensor) => ArgumentNullException.ThrowIfNull(tensor);

    /// <inheritdoc />
    public ICollectiveRequest AllReduceSumAsync(torch.Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return CompletedRequest.Instance;
    }

    /// <inheritdoc />
    public void Broadcast(torch.Tensor tensor, int root = 0)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentOutOfRangeException.ThrowIfNotEqual(root, 0);
    }

    /// <inheritdoc />
    public void AllGather(torch.Tensor input, torch.Tensor output)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        output.copy_(input.reshape(output.shape));
    }

    /// <inheritdoc />
    public void Barrier()
    {
    }

    /// <summary>Does nothing: with one process nobody waits for this one, so the caller's exception ends the program as usual.</summary>
    public void Abort(string message, int exitCode = 1)
    {
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class CompletedRequest : ICollectiveRequest
    {
        public static CompletedRequest Instance { get; } = new();

        public void Wait()
        {
        }
    }
}
