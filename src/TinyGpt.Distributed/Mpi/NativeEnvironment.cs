using System.Runtime.InteropServices;

namespace TinyGpt.Distributed.Mpi;

/// <summary>
/// Writes to the C library's environment, which native code such as MPI and UCX reads;
/// <see cref="Environment.SetEnvironmentVariable(string, string)"/> only changes .NET's own copy on Unix.
/// </summary>
internal static partial class NativeEnvironment
{
    /// <summary>Sets <paramref name="name"/> for native code unless the user already set it.</summary>
    public static void SetDefault(string name, string value, Func<string, string?> getEnvironmentVariable)
    {
        if (getEnvironmentVariable(name) is not null || OperatingSystem.IsWindows())
        {
            return;
        }

        if (SetEnv(name, value, overwrite: 0) != 0)
        {
            throw new InvalidOperationException($"setenv({name}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
