using System.Runtime.InteropServices;
using System.Text;

namespace TinyGpt.Distributed.Mpi;

/// <summary>
/// The loaded MPI shared library: its exports as function pointers and the handles of the
/// predefined objects (communicator, datatypes, operation) in the form the library expects.
/// </summary>
/// <remarks>
/// Open MPI passes every handle as a pointer (MPI_COMM_WORLD is the address of the exported global
/// <c>ompi_mpi_comm_world</c>); MPICH passes 32-bit integers with fixed values from its mpi.h. Handles
/// are held here as <see cref="nint"/> and narrowed to <see cref="int"/> at each MPICH call, so every
/// call goes through a function-pointer type that matches the C prototype exactly.
/// </remarks>
internal sealed unsafe class MpiLibrary
{
    /// <summary>Environment variable naming the MPI library file to load instead of searching.</summary>
    public const string LibraryOverrideVariable = "TINYGPT_MPI_LIBRARY";

    /// <summary>MPI_THREAD_SERIALIZED: same value (2) in Open MPI and MPICH.</summary>
    public const int ThreadSerialized = 2;

    // Open MPI 4/5 soname first (the common one on Debian/Ubuntu/RHEL), then MPICH's (libmpi.so.12
    // upstream and on RHEL, libmpich.so.12 on Debian/Ubuntu), then the dev symlinks.
    private static readonly string[] OpenMpiFirst = ["libmpi.so.40", "libmpi.so.12", "libmpich.so.12", "libmpi.so", "libmpich.so", "libmpi.dylib", "libmpi.40.dylib", "libmpi.12.dylib"];

    // Under a PMI launcher (MPICH's Hydra, Intel MPI) the MPICH-ABI library must win where both are
    // installed: Open MPI's libmpi cannot join a job that Hydra started.
    private static readonly string[] MpichFirst = ["libmpi.so.12", "libmpich.so.12", "libmpi.so.40", "libmpi.so", "libmpich.so", "libmpi.12.dylib", "libmpi.dylib", "libmpi.40.dylib"];

    private readonly nint library;
    private readonly nint initialized, finalized, initThread, finalize, commRank, commSize, commSplitType, commFree,
        commSetErrhandler, allreduce, iallreduce, wait, bcast, allgather, barrier, abort, errorString,
        processorName, wtime, libraryVersion;

    private MpiLibrary(nint library, string path, MpiImplementation implementation)
    {
        this.library = library;
        Path = path;
        Implementation = implementation;
        initialized = Export("MPI_Initialized");
        finalized = Export("MPI_Finalized");
        initThread = Export("MPI_Init_thread");
        finalize = Export("MPI_Finalize");
        commRank = Export("MPI_Comm_rank");
        commSize = Export("MPI_Comm_size");
        commSplitType = Export("MPI_Comm_split_type");
        commFree = Export("MPI_Comm_free");
        commSetErrhandler = Export("MPI_Comm_set_errhandler");
        allreduce = Export("MPI_Allreduce");
        iallreduce = Export("MPI_Iallreduce");
        wait = Export("MPI_Wait");
        bcast = Export("MPI_Bcast");
        allgather = Export("MPI_Allgather");
        barrier = Export("MPI_Barrier");
        abort = Export("MPI_Abort");
        errorString = Export("MPI_Error_string");
        processorName = Export("MPI_Get_processor_name");
        wtime = Export("MPI_Wtime");
        libraryVersion = Export("MPI_Get_library_version");

        if (implementation == MpiImplementation.OpenMpi)
        {
            CommWorld = Export("ompi_mpi_comm_world");
            Float = Export("ompi_mpi_float");
            Double = Export("ompi_mpi_double");
            Int8 = Export("ompi_mpi_signed_char");
            UInt8 = Export("ompi_mpi_unsigned_char");
            Int16 = Export("ompi_mpi_short");
            Int32 = Export("ompi_mpi_int");
            Int64 = Export("ompi_mpi_long_long_int");
            Byte = Export("ompi_mpi_byte");
            Sum = Export("ompi_mpi_op_sum");
            InfoNull = Export("ompi_mpi_info_null");
            ErrorsReturn = Export("ompi_mpi_errors_return");
            InPlace = 1;          // mpi.h: #define MPI_IN_PLACE ((void *) 1)
            StatusIgnore = 0;     // mpi.h: #define MPI_STATUS_IGNORE ((MPI_Status *) 0)
            CommTypeShared = 0;   // first member of the MPI_COMM_TYPE_* enum
        }
        else
        {
            // Values from MPICH's mpi.h (x86-64 and arm64 Linux builds).
            CommWorld = 0x44000000;
            Float = 0x4c00040a;
            Double = 0x4c00080b;
            Int8 = 0x4c000118;    // MPI_SIGNED_CHAR
            UInt8 = 0x4c000102;   // MPI_UNSIGNED_CHAR
            Int16 = 0x4c000203;   // MPI_SHORT
            Int32 = 0x4c000405;   // MPI_INT
            Int64 = 0x4c000809;   // MPI_LONG_LONG
            Byte = 0x4c00010d;
            Sum = 0x58000003;
            InfoNull = 0x1c000000;
            ErrorsReturn = 0x54000001;
            InPlace = -1;         // #define MPI_IN_PLACE (void *) -1
            StatusIgnore = 1;     // #define MPI_STATUS_IGNORE (MPI_Status *)1
            CommTypeShared = 1;
        }
    }

    /// <summary>The file that was loaded.</summary>
    public string Path { get; }

    /// <summary>Which handle convention the library uses.</summary>
    public MpiImplementation Implementation { get; }

#pragma warning disable CA1720 // The names are the MPI datatypes they stand for.
    public nint CommWorld { get; }

    public nint Float { get; }

    public nint Double { get; }

    public nint Int8 { get; }

    public nint UInt8 { get; }

    public nint Int16 { get; }

    public nint Int32 { get; }

    public nint Int64 { get; }

    public nint Byte { get; }
#pragma warning restore CA1720

    public nint Sum { get; }

    public nint InfoNull { get; }

    public nint ErrorsReturn { get; }

    public nint InPlace { get; }

    public nint StatusIgnore { get; }

    public int CommTypeShared { get; }

    private bool IsMpich => Implementation == MpiImplementation.Mpich;

    /// <summary>
    /// Loads the MPI library named by <see cref="LibraryOverrideVariable"/>, or the first of the
    /// usual sonames found, MPICH's first when a PMI launcher (Hydra) started the process.
    /// </summary>
    /// <exception cref="MpiUnavailableException">No candidate could be loaded, or the one loaded is not Open MPI or MPICH-compatible.</exception>
    public static MpiLibrary Load(Func<string, string?> getEnvironmentVariable) =>
        Load(getEnvironmentVariable, SearchNamesFor(Launch.LaunchEnvironment.Detect(getEnvironmentVariable).Launcher));

    /// <summary>The sonames to try, in order, for processes started by <paramref name="launcher"/>.</summary>
    internal static IReadOnlyList<string> SearchNamesFor(Launch.Launcher launcher) =>
        launcher == Launch.Launcher.Pmi ? MpichFirst : OpenMpiFirst;

    /// <summary>As <see cref="Load(Func{string, string?})"/>, searching <paramref name="searchNames"/> when no override is set.</summary>
    internal static MpiLibrary Load(Func<string, string?> getEnvironmentVariable, IReadOnlyList<string> searchNames)
    {
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        var overridePath = getEnvironmentVariable(LibraryOverrideVariable);
        IReadOnlyList<string> candidates = string.IsNullOrWhiteSpace(overridePath) ? searchNames : [overridePath];
        var failures = new List<string>();
        foreach (var candidate in candidates)
        {
            if (!NativeLibrary.TryLoad(candidate, out var handle))
            {
                failures.Add(candidate);
                continue;
            }

            var implementation = DetectImplementation(handle, candidate);
            GlobalSymbols.Promote(candidate);
            return new MpiLibrary(handle, candidate, implementation);
        }

        var tried = string.Join(", ", failures);
        if (!string.IsNullOrWhiteSpace(overridePath))
        {
            throw new MpiUnavailableException(
                $"{LibraryOverrideVariable} is set to '{overridePath}', but that file could not be loaded as a shared library. " +
                "Point it at an existing libmpi.so (e.g. /usr/lib/x86_64-linux-gnu/libmpi.so.40) or unset it to search the usual names.");
        }

        throw new MpiUnavailableException(
            $"No MPI library could be loaded (tried {tried}). Install Open MPI (Debian/Ubuntu: 'apt-get install openmpi-bin', " +
            "Fedora/RHEL: 'dnf install openmpi' and 'module load mpi/openmpi-x86_64'), or on a cluster 'module load openmpi' / 'module load mpich'; " +
            $"or set {LibraryOverrideVariable} to the full path of libmpi.so.");
    }

    private static MpiImplementation DetectImplementation(nint handle, string path)
    {
        if (NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out _))
        {
            return MpiImplementation.OpenMpi;
        }

        // MPICH-ABI libraries export no handle globals; they name themselves in the version string,
        // which MPI-3 allows reading before MPI_Init.
        var version = NativeLibrary.TryGetExport(handle, "MPI_Get_library_version", out var getVersion)
            ? ReadString(getVersion, 8192)
            : string.Empty;
        string[] mpichFamily = ["MPICH", "Intel(R) MPI", "MVAPICH", "CRAY MPICH"];
        if (mpichFamily.Any(name => version.Contains(name, StringComparison.OrdinalIgnoreCase)))
        {
            return MpiImplementation.Mpich;
        }

        NativeLibrary.Free(handle);
        throw new MpiUnavailableException(
            $"'{path}' loaded but is neither Open MPI nor an MPICH-compatible MPI (library version: '{version}'). " +
            $"TinyGpt supports Open MPI 4+ and MPICH 3+ (and Intel MPI/MVAPICH); set {LibraryOverrideVariable} to one of those.");
    }

    private static string ReadString(nint function, int capacity)
    {
        var buffer = new byte[capacity];
        int length = 0;
        fixed (byte* p = buffer)
        {
            if (((delegate* unmanaged<byte*, int*, int>)function)(p, &length) != 0)
            {
                return string.Empty;
            }
        }

        return Encoding.UTF8.GetString(buffer, 0, Math.Clamp(length, 0, capacity)).TrimEnd('\0', '\n', ' ');
    }

    private nint Export(string name)
    {
        if (NativeLibrary.TryGetExport(library, name, out var address))
        {
            return address;
        }

        throw new MpiUnavailableException($"'{Path}' has no export '{name}'; it is not a complete MPI-3 library. Set {LibraryOverrideVariable} to an Open MPI 4+ or MPICH 3+ libmpi.so.");
    }

    public int Initialized(out bool value)
    {
        int flag;
        var rc = ((delegate* unmanaged<int*, int>)initialized)(&flag);
        value = flag != 0;
        return rc;
    }

    public int Finalized(out bool value)
    {
        int flag;
        var rc = ((delegate* unmanaged<int*, int>)finalized)(&flag);
        value = flag != 0;
        return rc;
    }

    public int InitThread(int required, out int provided)
    {
        int level;
        // MPI-2 allows NULL argc/argv.
        var rc = ((delegate* unmanaged<int*, byte***, int, int*, int>)initThread)(null, null, required, &level);
        provided = level;
        return rc;
    }

    public int Finalize() => ((delegate* unmanaged<int>)finalize)();

    public int CommRank(nint comm, out int rank)
    {
        int value;
        var rc = IsMpich
            ? ((delegate* unmanaged<int, int*, int>)commRank)((int)comm, &value)
            : ((delegate* unmanaged<nint, int*, int>)commRank)(comm, &value);
        rank = value;
        return rc;
    }

    public int CommSize(nint comm, out int size)
    {
        int value;
        var rc = IsMpich
            ? ((delegate* unmanaged<int, int*, int>)commSize)((int)comm, &value)
            : ((delegate* unmanaged<nint, int*, int>)commSize)(comm, &value);
        size = value;
        return rc;
    }

    public int CommSplitType(nint comm, int splitType, int key, out nint newComm)
    {
        int rc;
        if (IsMpich)
        {
            int value;
            rc = ((delegate* unmanaged<int, int, int, int, int*, int>)commSplitType)((int)comm, splitType, key, (int)InfoNull, &value);
            newComm = value;
        }
        else
        {
            nint value;
            rc = ((delegate* unmanaged<nint, int, int, nint, nint*, int>)commSplitType)(comm, splitType, key, InfoNull, &value);
            newComm = value;
        }

        return rc;
    }

    public int CommFree(nint comm)
    {
        if (IsMpich)
        {
            int value = (int)comm;
            return ((delegate* unmanaged<int*, int>)commFree)(&value);
        }

        return ((delegate* unmanaged<nint*, int>)commFree)(&comm);
    }

    public int CommSetErrorsReturn(nint comm) => IsMpich
        ? ((delegate* unmanaged<int, int, int>)commSetErrhandler)((int)comm, (int)ErrorsReturn)
        : ((delegate* unmanaged<nint, nint, int>)commSetErrhandler)(comm, ErrorsReturn);

    public int Allreduce(nint send, nint receive, int count, nint datatype, nint op, nint comm) => IsMpich
        ? ((delegate* unmanaged<nint, nint, int, int, int, int, int>)allreduce)(send, receive, count, (int)datatype, (int)op, (int)comm)
        : ((delegate* unmanaged<nint, nint, int, nint, nint, nint, int>)allreduce)(send, receive, count, datatype, op, comm);

    public int Iallreduce(nint send, nint receive, int count, nint datatype, nint op, nint comm, out nint request)
    {
        int rc;
        if (IsMpich)
        {
            int value;
            rc = ((delegate* unmanaged<nint, nint, int, int, int, int, int*, int>)iallreduce)(send, receive, count, (int)datatype, (int)op, (int)comm, &value);
            request = value;
        }
        else
        {
            nint value;
            rc = ((delegate* unmanaged<nint, nint, int, nint, nint, nint, nint*, int>)iallreduce)(send, receive, count, datatype, op, comm, &value);
            request = value;
        }

        return rc;
    }

    public int Wait(ref nint request)
    {
        int rc;
        if (IsMpich)
        {
            int value = (int)request;
            rc = ((delegate* unmanaged<int*, nint, int>)wait)(&value, StatusIgnore);
            request = value;
        }
        else
        {
            nint value = request;
            rc = ((delegate* unmanaged<nint*, nint, int>)wait)(&value, StatusIgnore);
            request = value;
        }

        return rc;
    }

    public int Bcast(nint buffer, int count, nint datatype, int root, nint comm) => IsMpich
        ? ((delegate* unmanaged<nint, int, int, int, int, int>)bcast)(buffer, count, (int)datatype, root, (int)comm)
        : ((delegate* unmanaged<nint, int, nint, int, nint, int>)bcast)(buffer, count, datatype, root, comm);

    public int Allgather(nint send, int sendCount, nint sendType, nint receive, int receiveCount, nint receiveType, nint comm) => IsMpich
        ? ((delegate* unmanaged<nint, int, int, nint, int, int, int, int>)allgather)(send, sendCount, (int)sendType, receive, receiveCount, (int)receiveType, (int)comm)
        : ((delegate* unmanaged<nint, int, nint, nint, int, nint, nint, int>)allgather)(send, sendCount, sendType, receive, receiveCount, receiveType, comm);

    public int Barrier(nint comm) => IsMpich
        ? ((delegate* unmanaged<int, int>)barrier)((int)comm)
        : ((delegate* unmanaged<nint, int>)barrier)(comm);

    public int Abort(nint comm, int errorCode) => IsMpich
        ? ((delegate* unmanaged<int, int, int>)abort)((int)comm, errorCode)
        : ((delegate* unmanaged<nint, int, int>)abort)(comm, errorCode);

    public double Wtime() => ((delegate* unmanaged<double>)wtime)();

    public string ProcessorName()
    {
        // Open MPI's MPI_MAX_PROCESSOR_NAME is 256 and MPICH's 128; 1024 covers both.
        return ReadString(processorName, 1024);
    }

    public string LibraryVersion() => ReadString(libraryVersion, 8192);

    public string ErrorString(int errorCode)
    {
        // MPI_MAX_ERROR_STRING: 256 in Open MPI, up to 1024 in MPICH.
        var buffer = new byte[2048];
        int length = 0;
        fixed (byte* p = buffer)
        {
            if (((delegate* unmanaged<int, byte*, int*, int>)errorString)(errorCode, p, &length) != 0)
            {
                return $"unknown MPI error {errorCode}";
            }
        }

        return Encoding.UTF8.GetString(buffer, 0, Math.Clamp(length, 0, buffer.Length)).TrimEnd('\0');
    }

    /// <summary>Throws <see cref="MpiException"/> with the library's description when <paramref name="returnCode"/> is not MPI_SUCCESS.</summary>
    public void Check(int returnCode, string function)
    {
        if (returnCode != 0)
        {
            throw new MpiException(function, returnCode, ErrorString(returnCode));
        }
    }
}
