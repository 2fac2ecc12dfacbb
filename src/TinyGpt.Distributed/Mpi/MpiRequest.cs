using TinyGpt.Training;

namespace TinyGpt.Distributed.Mpi;

/// <summary>A started MPI_Iallreduce (one request per chunk) and the staging buffer it writes into.</summary>
internal sealed class MpiRequest : ICollectiveRequest
{
    private readonly MpiCollective owner;
    private readonly nint[] requests;
    private readonly HostBuffer buffer;
    private readonly Lock gate = new();
    private bool completed;

    public MpiRequest(MpiCollective owner, nint[] requests, HostBuffer buffer)
    {
        this.owner = owner;
        this.requests = requests;
        this.buffer = buffer;
    }

    public void Wait()
    {
        lock (gate)
        {
            if (completed)
            {
                return;
            }

            try
            {
                owner.WaitAll(requests);
                buffer.CopyBack();
            }
            finally
            {
                completed = true;
                buffer.Dispose();
            }
        }
    }
}
