using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;

namespace TinyGpt.Distributed.Mpi;

/// <summary>
/// A tensor as MPI sees it: contiguous host memory of a datatype MPI can reduce. A CPU tensor that
/// already is one is used in place; anything else (CUDA, non-contiguous, float16/bfloat16 for sums)
/// is staged through a host copy that <see cref="CopyBack"/> writes back into the original.
/// </summary>
internal sealed class HostBuffer : IDisposable
{
    /// <summary>MPI counts are C ints; larger tensors are sent in pieces of at most this many bytes. Tests lower it to exercise the split.</summary>
    internal static long MaxChunkBytes { get; set; } = 1L << 30;

    private readonly torch.Tensor target;
    private readonly bool staged;

    private HostBuffer(torch.Tensor target, torch.Tensor host, bool staged, nint datatype, long elementSize)
    {
        this.target = target;
        Host = host;
        this.staged = staged;
        Datatype = datatype;
        ElementSize = elementSize;
    }

    /// <summary>The host tensor MPI reads and writes.</summary>
    public torch.Tensor Host { get; }

    /// <summary>The MPI datatype of <see cref="Host"/>'s elements.</summary>
    public nint Datatype { get; }

    /// <summary>Bytes per element of <see cref="Datatype"/>.</summary>
    public long ElementSize { get; }

    /// <summary>Number of elements.</summary>
    public long Count => Host.NumberOfElements;

    /// <summary>A buffer for a sum all-reduce of <paramref name="tensor"/>.</summary>
    public static HostBuffer ForReduction(torch.Tensor tensor, MpiLibrary mpi, string parameterName)
    {
        var (hostType, datatype) = tensor.dtype switch
        {
            torch.ScalarType.Float32 => (torch.ScalarType.Float32, mpi.Float),
            torch.ScalarType.Float64 => (torch.ScalarType.Float64, mpi.Double),
            torch.ScalarType.Int8 => (torch.ScalarType.Int8, mpi.Int8),
            torch.ScalarType.Byte => (torch.ScalarType.Byte, mpi.UInt8),
            torch.ScalarType.Int16 => (torch.ScalarType.Int16, mpi.Int16),
            torch.ScalarType.Int32 => (torch.ScalarType.Int32, mpi.Int32),
            torch.ScalarType.Int64 => (torch.ScalarType.Int64, mpi.Int64),
            // MPI has no 16-bit float types (MPICH's MPIX_C_FLOAT16 is not portable): sum in float32.
            torch.ScalarType.Float16 or torch.ScalarType.BFloat16 => (torch.ScalarType.Float32, mpi.Float),
            _ => throw new ArgumentException(
                $"All-reduce sum is supported for float32, float64, float16, bfloat16, int8, uint8, int16, int32 and int64 tensors, not {tensor.dtype}. " +
                "Convert the tensor first (e.g. tensor.to_type(ScalarType.Int32) for bool).",
                parameterName),
        };
        return Create(tensor, hostType, datatype);
    }

    /// <summary>A buffer that MPI moves as raw bytes (broadcast, all-gather): any dtype, no conversion.</summary>
    public static HostBuffer ForBytes(torch.Tensor tensor, MpiLibrary mpi) => Create(tensor, tensor.dtype, mpi.Byte, bytes: true);

    private static HostBuffer Create(torch.Tensor tensor, torch.ScalarType hostType, nint datatype, bool bytes = false)
    {
        bool usable = tensor.device_type == DeviceType.CPU && tensor.dtype == hostType && tensor.is_contiguous();
        if (usable)
        {
            return new HostBuffer(tensor, tensor, staged: false, datatype, bytes ? 1 : tensor.ElementSize);
        }

        var host = torch.empty(tensor.shape, hostType, torch.CPU);
        host.copy_(tensor);
        return new HostBuffer(tensor, host, staged: true, datatype, bytes ? 1 : host.ElementSize);
    }

    /// <summary>A staging buffer for the output of an all-gather: contents are not copied in, only out.</summary>
    public static HostBuffer ForOutputBytes(torch.Tensor tensor, MpiLibrary mpi)
    {
        if (tensor.device_type == DeviceType.CPU && tensor.is_contiguous())
        {
            return new HostBuffer(tensor, tensor, staged: false, mpi.Byte, 1);
        }

        return new HostBuffer(tensor, torch.empty(tensor.shape, tensor.dtype, torch.CPU), staged: true, mpi.Byte, 1);
    }

    /// <summary>Total size in units of <see cref="Datatype"/>.</summary>
    public long TotalUnits => ElementSize == 1 ? Host.NumberOfElements * Host.ElementSize : Host.NumberOfElements;

    /// <summary>Address of the first element; the tensor's storage does not move, so the address stays valid while it lives.</summary>
    public unsafe nint Address
    {
        get
        {
            if (Host.NumberOfElements == 0)
            {
                return 0;
            }

            if (Host.NumberOfElements * Host.ElementSize <= int.MaxValue)
            {
                return (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(Host.bytes));
            }

            // Span lengths are ints, so for larger tensors take the span of one element and use its address.
            using var flat = Host.reshape(-1);
            using var first = flat.narrow(0, 0, 1);
            return (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(first.bytes));
        }
    }

    /// <summary>The buffer in pieces MPI can address with an int count: (address, count in <see cref="Datatype"/> units).</summary>
    public IEnumerable<(nint Address, int Count)> Chunks()
    {
        var unitBytes = ElementSize == 1 ? 1 : Host.ElementSize;
        long maxUnits = MaxChunkBytes / unitBytes;
        var total = TotalUnits;
        var address = Address;
        for (long offset = 0; offset < total; offset += maxUnits)
        {
            var count = Math.Min(maxUnits, total - offset);
            yield return (address + (nint)(offset * unitBytes), (int)count);
        }
    }

    /// <summary>Writes a staged result back into the original tensor; nothing to do when MPI worked in place.</summary>
    public void CopyBack()
    {
        if (staged)
        {
            target.copy_(Host);
        }
    }

    public void Dispose()
    {
        if (staged)
        {
            Host.Dispose();
        }
    }
}
