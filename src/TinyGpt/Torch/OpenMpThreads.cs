using System.Runtime.InteropServices;

namespace TinyGpt.Torch;

/// <summary>
/// The OpenMP thread count of the calling thread only. libtorch's CPU operators run their loops
/// on OpenMP threads, and OpenMP keeps the thread count per calling thread, so a decoding loop can
/// run libtorch's small per-token operators on one core while other threads keep theirs.
/// (TorchSharp's <c>set_num_threads</c> also changes process-wide settings, MKL's among them.)
/// </summary>
/// <remarks>
/// Why: a decoding step multiplies its weights on every core itself (<c>RowProduct</c>), and
/// between those products libtorch's operators woke OpenMP workers that then spun on the other
/// core, where the product's second half had to run: a seed-preset step of 8 rows took 16-20 ms
/// with them and 9-11 ms without (performance.md, "Decoding: the row product"). Linux only, where the OpenMP runtime libtorch
/// loaded is found in <c>/proc/self/maps</c>; elsewhere <see cref="TrySet"/> does nothing.
/// </remarks>
internal static unsafe class OpenMpThreads
{
    private static readonly Lazy<nint> SetNumThreads = new(Resolve);

    /// <summary>Sets the calling thread's OpenMP thread count; false where the runtime was not found.</summary>
    public static bool TrySet(int threads)
    {
        var set = SetNumThreads.Value;
        if (set == 0)
        {
            return false;
        }

        ((delegate* unmanaged<int, void>)set)(Math.Max(1, threads));
        return true;
    }

    private static nint Resolve()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        try
        {
            // The runtime libtorch loaded, by path: loading it again returns the same library.
            var runtime = File.ReadLines("/proc/self/maps")
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(fields => fields.Length >= 6)
                .Select(fields => fields[^1])
                .FirstOrDefault(path => Path.GetFileName(path) is var name && (name.StartsWith("libgomp", StringComparison.Ordinal) || name.StartsWith("libiomp", StringComparison.Ordinal)));
            return runtime is not null && NativeLibrary.TryLoad(runtime, out var library) && NativeLibrary.TryGetExport(library, "omp_set_num_threads", out var export)
                ? export
                : 0;
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
