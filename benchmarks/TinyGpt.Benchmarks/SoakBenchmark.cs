using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace TinyGpt.Benchmarks;

/// <summary>
/// Runs the <c>tinygpt</c> command again and again as a user would and reports what happened to
/// each process: exit code, whether it crashed, wall time and peak resident memory. With
/// <c>--gc-stress</c> every process gets <see cref="StartupHook"/>, which forces garbage
/// collections all the time, so that native objects freed by finalizers show up as crashes.
/// </summary>
/// <remarks>
/// <code>
/// soak [--runs 20] [--gc-stress] [--cli PATH] [--work DIR] -- &lt;tinygpt arguments, {run} = a fresh run folder&gt;
/// soak --long-steps 3000 --checkpoint-every 50 --run DIR [--gc-stress]   (one long `tinygpt train` on a prepared run; memory per step)
/// </code>
/// </remarks>
internal static partial class SoakBenchmark
{
    public static int Run(string[] args)
    {
        var split = Array.IndexOf(args, "--");
        var options = new BenchmarkArguments(split < 0 ? args : args[..split]);
        var cliArguments = split < 0 ? [] : args[(split + 1)..];
        var cli = options.Get("cli") ?? FindCli();
        var stress = options.Has("gc-stress");
        if (options.Get("long-steps") is not null)
        {
            return RunLong(cli, options, stress);
        }

        var runs = options.Int("runs", 20);
        var work = Path.GetFullPath(options.Get("work") ?? Path.Combine(Path.GetTempPath(), "tinygpt-soak"));
        Directory.CreateDirectory(work);
        if (cliArguments.Length == 0)
        {
            // The README's main job on this repository's machines.
            cliArguments = ["--run", "{run}", "--data-dir", options.Get("data-dir") ?? "../shared/data/wikitext-2-raw", "--train-split", "valid", "--eval-split", "test"];
        }

        Console.WriteLine($"soak: {runs} runs of {cli} {string.Join(' ', cliArguments)}{(stress ? " under GC stress" : string.Empty)}; logs in {work}");
        Console.WriteLine("run | exit | outcome | seconds | peak RSS MB");
        var crashes = 0;
        var failures = 0;
        var peaks = new List<double>();
        for (var i = 1; i <= runs; i++)
        {
            var runFolder = Path.Combine(work, $"run-{i:D3}");
            if (Directory.Exists(runFolder))
            {
                Directory.Delete(runFolder, recursive: true);
            }

            var arguments = cliArguments.Select(a => a.Replace("{run}", runFolder, StringComparison.Ordinal)).ToArray();
            var result = Watch(cli, arguments, stress, Path.Combine(work, $"run-{i:D3}.log"), onLine: null);
            var outcome = Outcome(result);
            crashes += outcome == "CRASH" ? 1 : 0;
            failures += outcome == "failed" ? 1 : 0;
            peaks.Add(result.PeakRssMegabytes);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{i,3} | {result.ExitCode,4} | {outcome,-7} | {result.Elapsed.TotalSeconds,7:F1} | {result.PeakRssMegabytes,8:F0}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"soak: {runs} runs, {crashes} crashed, {failures} failed otherwise, {runs - crashes - failures} exited 0; peak RSS {peaks.Min():F0}-{peaks.Max():F0} MB"));
        return crashes + failures == 0 ? 0 : 1;
    }

    private static int RunLong(string cli, BenchmarkArguments options, bool stress)
    {
        var steps = options.Int("long-steps", 3000);
        var every = options.Int("checkpoint-every", 50);
        var run = options.Get("run") ?? throw new ArgumentException("--long-steps needs --run DIR, a prepared run folder (tinygpt prepare).");
        var log = Path.Combine(Path.GetFullPath(run), "soak-long.log");
        string[] arguments = ["train", "--run", run, "--max-steps", steps.ToString(CultureInfo.InvariantCulture), "--eval-interval", every.ToString(CultureInfo.InvariantCulture), "--log-interval", "10"];
        Console.WriteLine($"soak: one run of {cli} {string.Join(' ', arguments)}{(stress ? " under GC stress" : string.Empty)}; an evaluation and a checkpoint every {every} steps");
        var samples = new List<(int Step, double RssMegabytes)>();
        var lastStep = 0;
        var result = Watch(cli, arguments, stress, log, line =>
        {
            if (StepLine().Match(line) is { Success: true } match)
            {
                Volatile.Write(ref lastStep, int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
            }
        }, rss => samples.Add((Volatile.Read(ref lastStep), rss)));

        Console.WriteLine("step | RSS MB (resident memory when the step was the last one logged)");
        foreach (var group in samples.GroupBy(s => s.Step / Math.Max(1, steps / 12)).Select(g => g.Last()))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{group.Step,5} | {group.RssMegabytes,7:F0}"));
        }

        // Flat memory: the last third of the run holds no more than the first third after warm-up.
        var trained = samples.Where(s => s.Step > 0).ToList();
        if (trained.Count > 6)
        {
            var third = trained.Count / 3;
            var early = trained.Take(third).Max(s => s.RssMegabytes);
            var late = trained.Skip(2 * third).Max(s => s.RssMegabytes);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"soak: peak RSS {result.PeakRssMegabytes:F0} MB; highest RSS in the first third {early:F0} MB, in the last third {late:F0} MB ({late - early:+0;-0} MB)"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"soak: exit {result.ExitCode} ({Outcome(result)}) after {result.Elapsed.TotalMinutes:F1} min; log {log}"));
        return result.ExitCode;
    }

    private static string Outcome(ProcessResult result) =>
        result.ExitCode == 0 ? "ok"
        : result.ExitCode >= 128 || result.Crashed ? "CRASH"
        : "failed";

    /// <summary>Starts the command, copies its output to a log and samples its memory until it exits.</summary>
    private static ProcessResult Watch(string cli, string[] arguments, bool stress, string logPath, Action<string>? onLine, Action<double>? onSample = null)
    {
        var info = new ProcessStartInfo(cli) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (stress)
        {
            info.Environment["DOTNET_STARTUP_HOOKS"] = typeof(StartupHook).Assembly.Location;
        }

        using var log = new StreamWriter(logPath) { AutoFlush = true };
        var crashed = false;
        var gate = new object();
        void Line(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (gate)
            {
                log.WriteLine(line);
                crashed |= line.Contains("Unhandled exception", StringComparison.Ordinal) || line.Contains("Segmentation fault", StringComparison.Ordinal);
            }

            onLine?.Invoke(line);
        }

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {cli}.");
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        double peak = 0;
        while (!process.WaitForExit(250))
        {
            // VmHWM is the peak resident set so far; it is gone once the process has exited, so the
            // last reading can miss the final quarter second.
            if (ReadStatusMegabytes(process.Id, "VmHWM:") is { } hwm)
            {
                peak = Math.Max(peak, hwm);
            }

            if (onSample is not null && ReadStatusMegabytes(process.Id, "VmRSS:") is { } rss)
            {
                onSample(rss);
            }
        }

        process.WaitForExit();
        return new ProcessResult(process.ExitCode, crashed, watch.Elapsed, peak);
    }

    private static double? ReadStatusMegabytes(int pid, string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
            return line is null ? null : long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string FindCli()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "samples", "TinyGpt.Cli", "bin", "Release", "net10.0", "tinygpt");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("Build the CLI first (dotnet build TinyGpt.sln -c Release) or pass --cli PATH to the tinygpt command.");
    }

    [GeneratedRegex(@"step (\d+)/\d+ \|", RegexOptions.CultureInvariant)]
    private static partial Regex StepLine();

    private sealed record ProcessResult(int ExitCode, bool Crashed, TimeSpan Elapsed, double PeakRssMegabytes);
}
