using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Torch;

/// <summary>
/// TorchSharp scalars with an owner. TorchSharp turns a number passed where it expects a
/// <see cref="Scalar"/> into a native object that only the finalizer frees, and the finalizer
/// thread can free it while the native call that reads it still runs: the process then dies of a
/// segmentation fault. Constants therefore live here for the whole process; any other value is made
/// with <c>using var s = value.ToScalar();</c>, so that it outlives the call. The build rejects the
/// implicit conversions and the TorchSharp overloads that create such scalars inside
/// (<c>build/BannedSymbols.txt</c>).
/// </summary>
internal static class OwnedScalars
{
    public static Scalar Zero { get; } = 0.ToScalar();

    public static Scalar One { get; } = 1.ToScalar();

    public static Scalar NegativeInfinity { get; } = double.NegativeInfinity.ToScalar();

    /// <summary>The int64 positions <c>[start, stop)</c> (what <c>torch.arange(start, stop)</c> gives, without its unowned scalars).</summary>
    public static Tensor Arange(long start, long stop, Device? device = null)
    {
        using var first = start.ToScalar();
        using var end = stop.ToScalar();
        return arange(first, end, One, ScalarType.Int64, device);
    }
}
