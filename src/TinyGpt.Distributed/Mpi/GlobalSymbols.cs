using System.Runtime.InteropServices;

namespace TinyGpt.Distributed.Mpi;

/// <summary>
/// Makes an already-loaded library's symbols globally visible. Open MPI loads its plugins
/// (mca_*.so) with dlopen, and builds whose plugins are not linked against libmpi resolve its
/// symbols from the global namespace; .NET loads libraries RTLD_LOCAL, so promote libmpi the way
/// C programs (linked at build time) and mpi4py (RTLD_GLOBAL) have it.
/// </summary>
internal static partial class GlobalSymbols
{
    // glibc values, the same on x86-64 and arm64.
    private const int RtldLazy = 0x1;
    private const int RtldNoLoad = 0x4;
    private const int RtldGlobal = 0x100;

    public static void Promote(string library)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            // RTLD_NOLOAD: only change the flags of the copy already loaded; the reference is kept for the process's life.
            _ = DlOpen(library, RtldLazy | RtldNoLoad | RtldGlobal);
        }
        catch (DllNotFoundException)
        {
            // Not glibc (e.g. musl has no libdl.so.2): such systems load plugins without this.
        }
        catch (EntryPointNotFoundException)
        {
        }
    }

    [LibraryImport("libdl.so.2", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint DlOpen(string file, int mode);
}
