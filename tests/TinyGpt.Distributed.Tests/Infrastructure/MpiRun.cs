using System.Diagnostics;
using System.Reflection;
using System.Text;
using TinyGpt.Testing;

namespace TinyGpt.Distributed.Tests.Infrastructure;

/// <summary>The outcome of one mpirun of the test host.</summary>
internal sealed record MpiRunResult(int ExitCode, string Output, TimeSpan Elapsed, bool TimedOut)
{
    public override string ToString() => $"exit {ExitCode} after {Elapsed.TotalSeconds:0.0}s{(TimedOut ? " (killed at timeout)" : string.Empty)}\n{Output}";
}

/// <summary>Starts TinyGpt.Distributed.TestHost under mpirun as a child process with a hard timeout.</summary>
internal static class MpiRun
{
    private static readonly Lazy<(string Path, bool IsOpenMpi)> Launcher = new(FindLauncher);

    /// <summary>Runs <c>mpirun -np <paramref name="ranks"/> dotnet TestHost.dll args</c>; kills the whole tree at <paramref name="timeout"/>.</summary>
    public static MpiRunResult TestHost(int ranks, TimeSpan timeout, params string[] args) =>
        TestHost(ranks, timeout, new Dictionary<string, string>(), args);

    /// <summary>As <see cref="TestHost(int, TimeSpan, string[])"/>, with extra environment variables for every rank.</summary>
    public static MpiRunResult TestHost(int ranks, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Launch([], ranks, TestHostPath(), timeout, environment, args);

    /// <summary>Runs the test host with extra mpirun options (a host file, MCA parameters), the mpirun process itself started through <paramref name="launchPrefix"/> (for example <c>ip netns exec NAME</c>).</summary>
    public static MpiRunResult TestHostWith(IReadOnlyList<string> launchPrefix, IReadOnlyList<string> mpirunOptions, int ranks, TimeSpan timeout, params string[] args) =>
        Launch(mpirunOptions, ranks, TestHostPath(), timeout, new Dictionary<string, string>(), args, launchPrefix);

    /// <summary>Runs the real <c>tinygpt</c> CLI (samples/TinyGpt.Cli build output) under <c>mpirun -np <paramref name="ranks"/></c>.</summary>
    public static MpiRunResult Cli(int ranks, TimeSpan timeout, params string[] args) =>
        Launch([], ranks, CliPath(), timeout, new Dictionary<string, string>(), args);

    /// <summary>
    /// Runs <c>[launchPrefix] mpirun [mpirunOptions] -np ranks dotnet assembly args</c>; kills the whole tree at <paramref name="timeout"/>.
    /// </summary>
    public static MpiRunResult Launch(IReadOnlyList<string> mpirunOptions, int ranks, string assembly, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, string[] args, IReadOnlyList<string>? launchPrefix = null) =>
        Launch(Launcher.Value, mpirunOptions, ranks, assembly, timeout, environment, args, launchPrefix);

    /// <summary>Starts <c>mpirun [mpirunOptions] -np ranks tinygpt args</c> and returns at once, for tests that signal the job while it runs.</summary>
    public static WatchedProcess StartCli(int ranks, IReadOnlyList<string> mpirunOptions, params string[] args)
    {
        var (mpirun, isOpenMpi) = Launcher.Value;
        var start = new ProcessStartInfo(mpirun);
        IEnumerable<string> arguments = isOpenMpi ? ["--allow-run-as-root", "--oversubscribe", .. mpirunOptions] : mpirunOptions;
        foreach (var argument in arguments.Concat(["-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), DotnetHost(), CliPath()]).Concat(args))
        {
            start.ArgumentList.Add(argument);
        }

        return new WatchedProcess(start);
    }

    /// <summary>Runs the test host under MPICH's Hydra launcher at <paramref name="mpiexec"/> (for example <c>/usr/bin/mpiexec.mpich</c>).</summary>
    public static MpiRunResult TestHostUnderMpich(string mpiexec, int ranks, TimeSpan timeout, params string[] args) =>
        Launch((mpiexec, false), [], ranks, TestHostPath(), timeout, new Dictionary<string, string>(), args, null);

    /// <summary>Runs the tinygpt CLI under MPICH's Hydra launcher at <paramref name="mpiexec"/>.</summary>
    public static MpiRunResult CliUnderMpich(string mpiexec, int ranks, TimeSpan timeout, params string[] args) =>
        Launch((mpiexec, false), [], ranks, CliPath(), timeout, new Dictionary<string, string>(), args, null);

    /// <summary>MPICH's launcher if installed: <c>TINYGPT_MPICH_MPIEXEC</c>, else <c>mpiexec.mpich</c> (Debian/Ubuntu) or <c>mpiexec.hydra</c> on PATH.</summary>
    public static string? FindMpichLauncher() =>
        Environment.GetEnvironmentVariable("TINYGPT_MPICH_MPIEXEC") is { Length: > 0 } path ? path : FindOnPath("mpiexec.mpich") ?? FindOnPath("mpiexec.hydra");

    private static MpiRunResult Launch((string Path, bool IsOpenMpi) launcher, IReadOnlyList<string> mpirunOptions, int ranks, string assembly, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, string[] args, IReadOnlyList<string>? launchPrefix)
    {
        var (mpirun, isOpenMpi) = launcher;
        var start = new ProcessStartInfo(launchPrefix is { Count: > 0 } ? launchPrefix[0] : mpirun)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (launchPrefix is { Count: > 0 })
        {
            foreach (var part in launchPrefix.Skip(1))
            {
                start.ArgumentList.Add(part);
            }

            start.ArgumentList.Add(mpirun);
        }

        if (isOpenMpi)
        {
            // Tests run as root in containers, and with more ranks than the CI runner's cores.
            start.ArgumentList.Add("--allow-run-as-root");
            start.ArgumentList.Add("--oversubscribe");
        }

        foreach (var option in mpirunOptions)
        {
            start.ArgumentList.Add(option);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
            if (isOpenMpi)
            {
                // Explicit export, so remote ranks would get it too.
                start.ArgumentList.Add("-x");
                start.ArgumentList.Add(name);
            }
        }

        start.ArgumentList.Add("-np");
        start.ArgumentList.Add(ranks.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add(DotnetHost());
        start.ArgumentList.Add(assembly);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        var stopwatch = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExit(timeout);
        if (!exited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.WaitForExit();
        stopwatch.Stop();
        lock (output)
        {
            return new MpiRunResult(exited ? process.ExitCode : -1, output.ToString(), stopwatch.Elapsed, !exited);
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static (string Path, bool IsOpenMpi) FindLauncher()
    {
        var path = Environment.GetEnvironmentVariable("TINYGPT_MPIRUN") ?? FindOnPath("mpirun");
        if (path is null || !File.Exists(path))
        {
            throw new InvalidOperationException(
                "mpirun was not found on PATH, so the multi-process tests cannot run. Install Open MPI " +
                "('apt-get install openmpi-bin' on Debian/Ubuntu, 'dnf install openmpi' and 'module load mpi/openmpi-x86_64' on Fedora/RHEL) " +
                "or set TINYGPT_MPIRUN to the launcher's path. These tests fail rather than skip so that CI cannot pass without MPI.");
        }

        var version = new ProcessStartInfo(path, "--version") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var probe = Process.Start(version)!;
        var text = probe.StandardOutput.ReadToEnd() + probe.StandardError.ReadToEnd();
        probe.WaitForExit();
        return (path, text.Contains("Open MPI", StringComparison.OrdinalIgnoreCase) || text.Contains("OpenRTE", StringComparison.OrdinalIgnoreCase));
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);

    private static string CliPath()
    {
        // tests/TinyGpt.Distributed.Tests/bin/<Configuration>/net10.0 -> samples/TinyGpt.Cli/bin/<Configuration>/net10.0
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = here.Parent!.Name;
        var repo = here.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(repo, "samples", "TinyGpt.Cli", "bin", configuration, here.Name, "TinyGpt.Cli.dll");
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"The tinygpt CLI was not built at '{path}'. Build tests/TinyGpt.Distributed.Tests (it builds the CLI too) or the solution first.");
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static string TestHostPath()
    {
        var path = Environment.GetEnvironmentVariable("TINYGPT_TESTHOST_PATH")
            ?? typeof(MpiRun).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(attribute => attribute.Key == "DistributedTestHostPath")?.Value;
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            throw new InvalidOperationException(
                $"The test host was not found at '{path}'. Build the tests with 'dotnet build tests/TinyGpt.Distributed.Tests -c Release' " +
                "(it builds TinyGpt.Distributed.TestHost too) or set TINYGPT_TESTHOST_PATH.");
        }

        return path;
    }
}
