using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace TinyGpt.Distributed.Tests.Infrastructure;

/// <summary>A running mpirun whose output lines can be waited for and that can be sent real signals.</summary>
internal sealed partial class MpiJob : IDisposable
{
    public const int SigInt = 2;
    public const int SigUsr1 = 10;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    public MpiJob(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output => string.Join('\n', _lines);

    public string WaitForLine(Func<string, bool> match, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (_lines.FirstOrDefault(match) is { } line)
            {
                return line;
            }

            if (_process.HasExited)
            {
                Thread.Sleep(200);
                if (_lines.FirstOrDefault(match) is { } last)
                {
                    return last;
                }

                break;
            }

            Thread.Sleep(50);
        }

        throw new TimeoutException($"No such line within {timeout} (mpirun exited: {_process.HasExited}). Output so far:\n{Output}");
    }

    /// <summary>Sends <paramref name="signal"/> to mpirun itself, as Ctrl+C, kill or a scheduler would.</summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed; output:\n{Output}");
        }
    }

    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"mpirun did not exit within {timeout}. Output:\n{Output}");
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
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
