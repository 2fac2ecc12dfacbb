using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace TinyGpt.Testing;

/// <summary>
/// A running child process (tinygpt, mpirun) whose output lines can be waited for and that can be
/// sent real signals; shared by the CLI and distributed test projects.
/// </summary>
internal sealed partial class WatchedProcess : IDisposable
{
    public const int SigInt = 2;
    public const int SigUsr1 = 10;
    public const int SigTerm = 15;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly SemaphoreSlim _arrived = new(0);

    static WatchedProcess()
    {
        if (OperatingSystem.IsLinux())
        {
            RestoreIgnoredSigInt();
        }
    }

    public WatchedProcess(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.Environment["NO_COLOR"] = "1";
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    /// <summary>Everything the process wrote so far, stdout and stderr interleaved as they arrived.</summary>
    public string Output => string.Join('\n', _lines);

    /// <summary>Waits until a line matching <paramref name="match"/> arrives; fails with the output so far after <paramref name="timeout"/>.</summary>
    public string WaitForLine(Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_lines.FirstOrDefault(match) is { } line)
            {
                return line;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || _process.HasExited && !_arrived.Wait(TimeSpan.FromMilliseconds(200)))
            {
                throw new TimeoutException($"No such line within {timeout} (exited: {_process.HasExited}). Output so far:\n{Output}");
            }

            _arrived.Wait(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Sends <paramref name="signal"/> to the process, as kill(1) does.</summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}; the process has {(_process.HasExited ? "already exited" : "not exited")}. Output:\n{Output}");
        }
    }

    /// <summary>Waits for the process to exit and returns its exit code (128 + signal when a signal ended it).</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The process did not exit within {timeout}. Output:\n{Output}");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        _arrived.Dispose();
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
            _arrived.Release();
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial nint SetSignalDisposition(int signal, nint handler);

    /// <summary>
    /// A test run started in the background by a shell without job control (<c>( cmd &amp; )</c>,
    /// many CI scripts) inherits SIGINT ignored, and so would every tinygpt it starts: .NET then
    /// installs no SIGINT handler, as Unix expects of background jobs, and a test's real Ctrl+C would
    /// never arrive. Restoring the default disposition here (only when it is ignored) lets the
    /// children be sent one; the tinygpt processes install their own handler as usual.
    /// </summary>
    private static void RestoreIgnoredSigInt()
    {
        const long sigIntBit = 1L << (SigInt - 1);
        var ignored = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        if (ignored is not null && (Convert.ToInt64(ignored["SigIgn:".Length..].Trim(), 16) & sigIntBit) != 0)
        {
            SetSignalDisposition(SigInt, 0); // SIG_DFL
        }
    }
}
