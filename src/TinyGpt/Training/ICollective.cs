using TorchSharp;

namespace TinyGpt.Training;

/// <summary>
/// The communication a data-parallel training step needs: all ranks run the same program and meet
/// at these calls. <see cref="SingleProcessCollective"/> is the one-process implementation;
/// <c>TinyGpt.Distributed</c> supplies one over MPI.
/// </summary>
/// <remarks>
/// All tensor operations work in place on contiguous tensors. Every rank must call the same
/// collectives in the same order with tensors of the same shape and dtype.
/// </remarks>
public interface ICollective : IDisposable
{
    /// <summary>This process's rank in the job, 0-based.</summary>
    int Rank { get; }

    /// <summary>The number of processes in the job.</summary>
    int WorldSize { get; }

    /// <summary>This process's rank among the processes on the same node.</summary>
    int LocalRank { get; }

    /// <summary>True on rank 0, the rank that writes logs, metrics and checkpoints.</summary>
    bool IsPrimary => Rank == 0;

    /// <summary>Sums <paramref name="tensor"/> element-wise over all ranks, in place; every rank gets the sum.</summary>
    void AllReduceSum(torch.Tensor tensor);

    /// <summary>Starts a sum all-reduce of <paramref name="tensor"/> in place and returns without waiting for it.</summary>
    /// <returns>A handle whose <see cref="ICollectiveRequest.Wait"/> completes the operation; the tensor must not be touched before then.</returns>
    ICollectiveRequest AllReduceSumAsync(torch.Tensor tensor);

    /// <summary>Copies <paramref name="tensor"/> from rank <paramref name="root"/> to all other ranks, in place.</summary>
    void Broadcast(torch.Tensor tensor, int root = 0);

    /// <summary>Gathers <paramref name="input"/> from every rank into <paramref name="output"/>, whose first dimension is <see cref="WorldSize"/> times larger, ordered by rank.</summary>
    void AllGather(torch.Tensor input, torch.Tensor output);

    /// <summary>Blocks until every rank has reached the barrier.</summary>
    void Barrier();

    /// <summary>Ends the whole job at once, on all ranks, after an unrecoverable error on this rank.</summary>
    /// <param name="message">What went wrong; printed with the rank before the job ends.</param>
    /// <param name="exitCode">The exit code the job ends with; non-zero.</param>
    void Abort(string message, int exitCode = 1);
}
