using System.Runtime.InteropServices;

namespace TinyGpt.Cli;

/// <summary>
/// Turns Ctrl+C (SIGINT), SIGTERM (what Kubernetes and Slurm send before they kill) and SIGUSR1
/// (which mpirun forwards to every rank) into a cancellation token: training stops at the next step
/// boundary and saves a checkpoint, however long that takes, and the process exits with 128 + the
/// signal's number (130, 143, 138). A second signal ends the process at once.
/// </summary>
/// <remarks>
/// This replaces System.CommandLine's own handler, which kills the process two seconds after the
/// first signal: too short to save a large model.
/// </remarks>
internal sealed class StopSignals : IDisposable
{
    private const int SigInt = 2;
    private const int SigUsr1 = 10;
    private const int SigTerm = 15;

    private readonly CancellationTokenSource _stop = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _received;

    private StopSignals()
    {
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, context => OnSignal(context, SigInt)));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => OnSignal(context, SigTerm)));
        if (!OperatingSystem.IsWindows())
        {
            // A raw signal number: PosixSignal names only the portable ones.
            _registrations.Add(PosixSignalRegistration.Create((PosixSignal)SigUsr1, context => OnSignal(context, SigUsr1)));
        }
    }

    /// <summary>The handlers of this process, once <see cref="Install"/> ran.</summary>
    public static StopSignals? Current { get; private set; }

    /// <summary>Installs the handlers for this process.</summary>
    public static StopSignals Install() => Current = new StopSignals();

    /// <summary>Cancelled by the first stop signal.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>The exit code for the signal that stopped the process: 128 + its number; 130 when none was received (the stop came from another rank).</summary>
    public int ExitCode => 128 + (Volatile.Read(ref _received) is var signal and > 0 ? signal : SigInt);

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _stop.Dispose();
        Current = null;
    }

    private static string Name(int signal) => signal switch
    {
        SigInt => "Ctrl+C (SIGINT)",
        SigTerm => "SIGTERM",
        _ => "SIGUSR1",
    };

    private void OnSignal(PosixSignalContext context, int signal)
    {
        if (Interlocked.CompareExchange(ref _received, signal, 0) != 0)
        {
            // The second signal: let the default action end the process now.
            Console.Error.WriteLine($"tinygpt: {Name(signal)} again: aborting at once.");
            context.Cancel = false;
            return;
        }

        context.Cancel = true;
        Console.Error.WriteLine($"tinygpt: {Name(signal)}: stopping after the current step (a signal again aborts at once).");
        _stop.Cancel();
    }
}
