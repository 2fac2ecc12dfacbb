using System.Collections.Concurrent;
using TorchSharp;

namespace TinyGpt.Distributed.TestHost;

/// <summary>
/// Scalars kept alive for the whole (short) test process, so that none is freed by the finalizer
/// while a native call reads it (see OwnedScalars in TinyGpt).
/// </summary>
internal static class TestScalars
{
    private static readonly ConcurrentBag<Scalar> Alive = [];

    public static Scalar Of(double value) => Keep(value.ToScalar());

    public static Scalar Of(long value) => Keep(value.ToScalar());

    private static Scalar Keep(Scalar scalar)
    {
        Alive.Add(scalar);
        return scalar;
    }
}
