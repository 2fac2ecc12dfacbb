using System.Globalization;
using TinyGpt.Training;
using TorchSharp;

namespace TinyGpt.Distributed.Mpi;

/// <summary>
/// <see cref="ICollective"/> over MPI, bound at run time to whichever MPI library the process can
/// load (Open MPI or MPICH-compatible); no compile-time MPI dependency.
/// </summary>
/// <remarks>
/// <para>Create one per process with <see cref="Initialize()"/> (or through <see cref="Collectives.Create()"/>)
/// and dispose it at the end of the run: MPI can be initialized and finalized only once per process.</para>
/// <para>CPU tensors that are contiguous and of a type MPI can sum (float32, float64, int8, uint8, int16,
/// int32, int64) are reduced in place, with no copy. CUDA tensors, non-contiguous tensors and the
/// 16-bit float types (summed in float32, then rounded once) go through a host staging copy.</para>
/// <para>MPI is initialized with MPI_THREAD_SERIALIZED; calls from several threads are serialized by
/// this class. Errors come back as <see cref="MpiException"/> (MPI_ERRORS_RETURN), not as a crash.</para>
/// </remarks>
public sealed class MpiCollective : ICollective
{
    private readonly MpiLibrary mpi;
    private readonly Lock gate = new();
    private readonly bool ownsInitialization;
    private nint nodeCommunicator;
    private bool disposed;

    private MpiCollective(MpiLibrary mpi, bool ownsInitialization, int threadLevel)
    {
        this.mpi = mpi;
        this.ownsInitialization = ownsInitialization;
        ThreadLevel = threadLevel;
        try
        {
            mpi.Check(mpi.CommSetErrorsReturn(mpi.CommWorld), "MPI_Comm_set_errhandler");
            mpi.Check(mpi.CommRank(mpi.CommWorld, out var rank), "MPI_Comm_rank");
            mpi.Check(mpi.CommSize(mpi.CommWorld, out var size), "MPI_Comm_size");
            Rank = rank;
            WorldSize = size;

            // Ranks sharing memory form one node; the rank within it is the local rank (GPU index).
            mpi.Check(mpi.CommSplitType(mpi.CommWorld, mpi.CommTypeShared, rank, out nodeCommunicator), "MPI_Comm_split_type");
            mpi.Check(mpi.CommRank(nodeCommunicator, out var localRank), "MPI_Comm_rank");
            mpi.Check(mpi.CommSize(nodeCommunicator, out var localSize), "MPI_Comm_size");
            LocalRank = localRank;
            LocalWorldSize = localSize;
            HostName = mpi.ProcessorName();
            LibraryVersion = mpi.LibraryVersion();
        }
        catch
        {
            if (ownsInitialization)
            {
                mpi.Finalize();
            }

            throw;
        }
    }

    /// <inheritdoc />
    public int Rank { get; }

    /// <inheritdoc />
    public int WorldSize { get; }

    /// <inheritdoc />
    public int LocalRank { get; }

    /// <summary>The number of ranks on this node (the size of the shared-memory communicator).</summary>
    public int LocalWorldSize { get; }

    /// <inheritdoc />
    public bool IsPrimary => Rank == 0;

    /// <summary>This node's name as MPI reports it (MPI_Get_processor_name).</summary>
    public string HostName { get; }

    /// <summary>The MPI library's own version text (MPI_Get_library_version), e.g. "Open MPI v4.1.4, ...".</summary>
    public string LibraryVersion { get; }

    /// <summary>Which MPI family was loaded.</summary>
    public MpiImplementation Implementation => mpi.Implementation;

    /// <summary>The library file that was loaded, as it was named to the loader.</summary>
    public string LibraryPath => mpi.Path;

    /// <summary>The thread support level MPI provided (0 single, 1 funneled, 2 serialized, 3 multiple); -1 when MPI was initialized by someone else.</summary>
    public int ThreadLevel { get; }

    /// <summary>Seconds since an arbitrary time in the past, from MPI_Wtime.</summary>
    public double WallTime => mpi.Wtime();

    /// <summary>Loads MPI, initializes it (unless something in the process already did) and reads rank, size and local rank.</summary>
    /// <exception cref="MpiUnavailableException">No MPI library could be loaded.</exception>
    /// <exception cref="MpiException">An MPI call failed.</exception>
    /// <exception cref="InvalidOperationException">MPI was already finalized in this process.</exception>
    public static MpiCollective Initialize() => Initialize(Environment.GetEnvironmentVariable);

    internal static MpiCollective Initialize(Func<string, string?> getEnvironmentVariable)
    {
        // UCX (used by Open MPI and MPICH for InfiniBand/RoCE) catches SIGSEGV to print its own
        // backtrace; .NET needs that signal to raise NullReferenceException, so keep UCX off it.
        // Before loading: MPICH links UCX directly, and UCX reads this when it is loaded.
        NativeEnvironment.SetDefault("UCX_ERROR_SIGNALS", string.Empty, getEnvironmentVariable);
        var mpi = MpiLibrary.Load(getEnvironmentVariable);

        mpi.Check(mpi.Finalized(out var finalized), "MPI_Finalized");
        if (finalized)
        {
            throw new InvalidOperationException(
                "MPI was already finalized in this process and cannot be initialized again. Create one MpiCollective per process and dispose it only at the end of the run.");
        }

        mpi.Check(mpi.Initialized(out var initialized), "MPI_Initialized");
        if (initialized)
        {
            return new MpiCollective(mpi, ownsInitialization: false, threadLevel: -1);
        }

        mpi.Check(mpi.InitThread(MpiLibrary.ThreadSerialized, out var provided), "MPI_Init_thread");
        return new MpiCollective(mpi, ownsInitialization: true, provided);
    }

    /// <inheritdoc />
    public void AllReduceSum(torch.Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var buffer = HostBuffer.ForReduction(tensor, mpi, nameof(tensor));
        lock (gate)
        {
            ThrowIfDisposed();
            foreach (var (address, count) in buffer.Chunks())
            {
                mpi.Check(mpi.Allreduce(mpi.InPlace, address, count, buffer.Datatype, mpi.Sum, mpi.CommWorld), "MPI_Allreduce");
            }
        }

        buffer.CopyBack();
    }

    /// <inheritdoc />
    public ICollectiveRequest AllReduceSumAsync(torch.Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var buffer = HostBuffer.ForReduction(tensor, mpi, nameof(tensor));
        try
        {
            var requests = new List<nint>();
            lock (gate)
            {
                ThrowIfDisposed();
                foreach (var (address, count) in buffer.Chunks())
                {
                    mpi.Check(mpi.Iallreduce(mpi.InPlace, address, count, buffer.Datatype, mpi.Sum, mpi.CommWorld, out var request), "MPI_Iallreduce");
                    requests.Add(request);
                }
            }

            return new MpiRequest(this, [.. requests], buffer);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Broadcast(torch.Tensor tensor, int root = 0)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (root < 0 || root >= WorldSize)
        {
            throw new ArgumentOutOfRangeException(nameof(root), root, $"The broadcast root must be a rank in [0, {WorldSize - 1}].");
        }

        using var buffer = HostBuffer.ForBytes(tensor, mpi);
        lock (gate)
        {
            ThrowIfDisposed();
            foreach (var (address, count) in buffer.Chunks())
            {
                mpi.Check(mpi.Bcast(address, count, buffer.Datatype, root, mpi.CommWorld), "MPI_Bcast");
            }
        }

        if (Rank != root)
        {
            buffer.CopyBack();
        }
    }

    /// <inheritdoc />
    public void AllGather(torch.Tensor input, torch.Tensor output)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        if (output.dtype != input.dtype)
        {
            throw new ArgumentException($"AllGather output dtype {output.dtype} differs from input dtype {input.dtype}; allocate the output with the input's dtype.", nameof(output));
        }

        if (output.NumberOfElements != input.NumberOfElements * WorldSize)
        {
            throw new ArgumentException(
                $"AllGather output has {output.NumberOfElements} elements but needs {input.NumberOfElements * WorldSize} (input elements x world size {WorldSize}); " +
                "allocate it with a first dimension WorldSize times the input's.",
                nameof(output));
        }

        using var send = HostBuffer.ForBytes(input, mpi);
        using var receive = HostBuffer.ForOutputBytes(output, mpi);
        var bytesPerRank = send.TotalUnits;
        if (bytesPerRank > int.MaxValue)
        {
            throw new ArgumentException($"AllGather of {bytesPerRank} bytes per rank exceeds MPI's 2 GiB count limit; gather the tensor in slices.", nameof(input));
        }

        lock (gate)
        {
            ThrowIfDisposed();
            if (bytesPerRank > 0)
            {
                mpi.Check(mpi.Allgather(send.Address, (int)bytesPerRank, mpi.Byte, receive.Address, (int)bytesPerRank, mpi.Byte, mpi.CommWorld), "MPI_Allgather");
            }
        }

        receive.CopyBack();
    }

    /// <inheritdoc />
    public void Barrier()
    {
        lock (gate)
        {
            ThrowIfDisposed();
            mpi.Check(mpi.Barrier(mpi.CommWorld), "MPI_Barrier");
        }
    }

    /// <inheritdoc />
    /// <remarks>Does not take the lock another thread may hold inside a blocking MPI call: aborting must never wait.</remarks>
    public void Abort(string message, int exitCode = 1)
    {
        var code = exitCode == 0 ? 1 : exitCode;
        Console.Out.Flush();
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"tinygpt: rank {Rank} of {WorldSize} on {HostName}: aborting the job: {message}"));
        Console.Error.Flush();
        mpi.Abort(mpi.CommWorld, code);

        // MPI_Abort does not return in practice; if a library ever does, still end this process.
        Environment.Exit(code);
    }

    /// <summary>Finalizes MPI if this instance initialized it. Every rank must dispose (MPI_Finalize is collective).</summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            if (nodeCommunicator != 0)
            {
                mpi.CommFree(nodeCommunicator);
                nodeCommunicator = 0;
            }

            if (ownsInitialization && mpi.Finalized(out var finalized) == 0 && !finalized)
            {
                mpi.Check(mpi.Finalize(), "MPI_Finalize");
            }
        }
    }

    internal void WaitAll(nint[] requests)
    {
        lock (gate)
        {
            ThrowIfDisposed();
            for (int i = 0; i < requests.Length; i++)
            {
                mpi.Check(mpi.Wait(ref requests[i]), "MPI_Wait");
            }
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);
}
