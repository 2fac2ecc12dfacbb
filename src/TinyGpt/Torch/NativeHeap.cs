using System.Collections;
using System.Runtime.InteropServices;
using System.Text;

namespace TinyGpt.Torch;

/// <summary>
/// Settings of the C library's heap, which libtorch allocates every CPU tensor from.
/// </summary>
/// <remarks>
/// With glibc's defaults, a block larger than 32 MB (the logits of a training batch: 16 x 128
/// positions x 8,000 tokens x 4 bytes is 64 MB) is mapped fresh from the kernel on every allocation
/// and unmapped on free, and freed memory at the top of the heap goes back to the kernel. Each step
/// then pays a page fault (and the kernel's zeroing) for every 4 KB page of those tensors again:
/// measured here, 3.5 million page faults in 60 steps of the tiny preset against 0.17 million with
/// <see cref="GlibcTunables"/>, and training 1.2-1.5x faster with them (docs/performance.md).
/// glibc reads these settings only when a process starts, and a thread's heap arena other than the
/// main one can never hold a block of 64 MB, so they cannot be switched on from inside a running
/// .NET process: <see cref="RestartToReuseFreedMemory"/> restarts the process with them. The cost is
/// a resident size that stays at its high-water mark instead of shrinking between steps.
/// </remarks>
public static partial class NativeHeap
{
    /// <summary>
    /// The <c>GLIBC_TUNABLES</c> value that keeps freed memory for reuse: large blocks come from the
    /// heap, the heap is never trimmed, and all threads share one arena (per-thread arenas cannot
    /// hold blocks over 64 MB). Set it in the environment of any process that trains on CPU.
    /// </summary>
    public const string GlibcTunables = "glibc.malloc.mmap_threshold=2147483647:glibc.malloc.trim_threshold=2147483647:glibc.malloc.arena_max=1";

    /// <summary>Set to <c>default</c> to keep glibc's own heap settings: <see cref="RestartToReuseFreedMemory"/> then does nothing.</summary>
    public const string OptOutVariable = "TINYGPT_NATIVE_HEAP";

    private const string TunablesVariable = "GLIBC_TUNABLES";

    // mallopt's parameter numbers and glibc's static threshold default, from glibc's malloc.h.
    private const int TrimThreshold = -1;
    private const int MmapThreshold = -3;
    private const int DefaultThreshold = 128 * 1024;

    /// <summary>True when this process started with <see cref="GlibcTunables"/> in its environment.</summary>
    public static bool ReusesFreedMemory =>
        Environment.GetEnvironmentVariable(TunablesVariable)?.Contains(GlibcTunables, StringComparison.Ordinal) == true;

    /// <summary>
    /// Restarts this process in place (same process id, arguments, environment and open standard
    /// streams) with <see cref="GlibcTunables"/> added to <c>GLIBC_TUNABLES</c>, unless it already
    /// has them. Call it first thing in <c>Main</c>, before any other thread has work: when it
    /// restarts, it does not return. It does nothing when the C library is not glibc (Windows,
    /// macOS, musl), when <c>GLIBC_TUNABLES</c> already sets the heap (the user's choice stands),
    /// or when <c>TINYGPT_NATIVE_HEAP=default</c>.
    /// </summary>
    /// <returns>True when the process reuses freed memory (it already did); false when it keeps glibc's defaults.</returns>
    public static bool RestartToReuseFreedMemory()
    {
        var tunables = Environment.GetEnvironmentVariable(TunablesVariable);
        if (ReusesFreedMemory)
        {
            return true;
        }

        if (!IsGlibc || tunables?.Contains("glibc.malloc.", StringComparison.Ordinal) == true
            || string.Equals(Environment.GetEnvironmentVariable(OptOutVariable), "default", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string?[] arguments;
        try
        {
            // The exact argv this process got (the .NET host, or the app host, and its arguments).
            arguments = [.. Encoding.UTF8.GetString(File.ReadAllBytes("/proc/self/cmdline")).TrimEnd('\0').Split('\0'), null];
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }

        var environment = new List<string?>();
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            if ((string)variable.Key != TunablesVariable)
            {
                environment.Add($"{variable.Key}={variable.Value}");
            }
        }

        environment.Add($"{TunablesVariable}={(string.IsNullOrEmpty(tunables) ? GlibcTunables : $"{tunables}:{GlibcTunables}")}");
        environment.Add(null);
        // execve returns only when it failed: the process then goes on with glibc's defaults.
        _ = Execute("/proc/self/exe", arguments, [.. environment]);
        return false;
    }

    /// <summary>Sets the main thread's arena to reuse freed memory (true) or to glibc's static thresholds (false), for a benchmark that runs both on its main thread.</summary>
    internal static bool SetMainArenaReuse(bool reuse)
    {
        if (!IsGlibc)
        {
            return false;
        }

        var threshold = reuse ? int.MaxValue : DefaultThreshold;
        return SetOption(MmapThreshold, threshold) == 1 && SetOption(TrimThreshold, threshold) == 1;
    }

    private static bool IsGlibc
    {
        get
        {
            if (!OperatingSystem.IsLinux())
            {
                return false;
            }

            try
            {
                return GnuLibcVersion() != IntPtr.Zero;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // musl (Alpine) has no libc.so.6 nor gnu_get_libc_version, and no such settings.
                return false;
            }
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "mallopt")]
    private static partial int SetOption(int parameter, int value);

    [LibraryImport("libc.so.6", EntryPoint = "gnu_get_libc_version")]
    private static partial IntPtr GnuLibcVersion();

    [LibraryImport("libc.so.6", EntryPoint = "execve", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Execute(string path, string?[] arguments, string?[] environment);
}
