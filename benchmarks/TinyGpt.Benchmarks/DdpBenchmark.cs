using System.Diagnostics;
using System.Globalization;
using System.Text;
using TinyGpt.Data;
using TinyGpt.Distributed;
using TinyGpt.Distributed.Diagnostics;
using TinyGpt.Modeling;
using TinyGpt.Tokenization;
using TinyGpt.Training;
using TorchSharp;

namespace TinyGpt.Benchmarks;

/// <summary>
/// Data-parallel scaling: the <see cref="Trainer"/> on the seed preset (context 256, batch 8 per rank,
/// one thread per rank) with 1 and 2 ranks under mpirun; tokens/s and their ratio, and the time per
/// step spent averaging gradients against a raw MPI all-reduce of the same number of bytes.
/// Run without <c>--worker</c> it is the driver: it launches the workers with mpirun itself and
/// prints a markdown table. Optional <c>--tcp-*</c> options add a run between two hosts over TCP.
/// </summary>
internal static class DdpBenchmark
{
    private const string ResultPrefix = "DDP-RESULT";

    public static int Run(string[] args)
    {
        var options = new BenchmarkArguments(args);
        return options.Has("worker") ? Worker(options) : Driver(options);
    }

    private static int Driver(BenchmarkArguments options)
    {
        var mpirun = options.Get("mpirun") ?? "mpirun";
        var steps = options.Int("steps", 4);
        var workerArgs = new List<string> { "ddp", "--worker", "--steps", steps.ToString(CultureInfo.InvariantCulture) };
        if (options.Has("non-blocking"))
        {
            workerArgs.Add("--non-blocking");
        }

        Console.WriteLine($"TinyGpt DDP benchmark: seed preset, context 256, batch 8 per rank, 1 thread per rank, {steps} timed steps after 1 warm-up step, {(options.Has("non-blocking") ? "non-blocking" : "blocking")} bucket all-reduces");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {LoadAverage()}");
        var rows = new List<(string Transport, Dictionary<string, double> Result)>();
        foreach (var ranks in new[] { 1, 2 })
        {
            rows.Add(("shared memory", Launch(mpirun, [], ["-np", ranks.ToString(CultureInfo.InvariantCulture)], workerArgs)));
        }

        if (options.Get("tcp-hostfile") is { } hostfile)
        {
            // For example two network namespaces joined by a veth pair (see docs/distributed.md).
            var prefix = (options.Get("tcp-launch") ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var subnet = options.Get("tcp-subnet") ?? throw new ArgumentException("--tcp-hostfile needs --tcp-subnet");
            var mpiOptions = new List<string> { "--hostfile", hostfile, "--map-by", "node", "--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", subnet, "--mca", "oob_tcp_if_include", subnet, "-np", "2" };
            if (options.Get("tcp-agent") is { } agent)
            {
                mpiOptions.InsertRange(0, ["--mca", "plm_rsh_agent", agent]);
            }

            rows.Add(("TCP, 2 hosts", Launch(mpirun, prefix, mpiOptions, workerArgs)));
        }

        var single = rows[0].Result["tokps"];
        Console.WriteLine();
        Console.WriteLine("| transport | ranks | tokens/s | speedup vs 1 rank | step (ms) | gradient averaging (ms/step) | share of step | raw all-reduce, same bytes (ms) | averaging / raw | waiting for the slower rank (ms/step) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (transport, r) in rows)
        {
            var ranks = (int)r["ranks"];
            var raw = ranks > 1 ? $"{r["rawms"]:F1}" : "-";
            var ratio = ranks > 1 ? $"{r["gradms"] / r["rawms"]:F2}x" : "-";
            var grad = ranks > 1 ? $"{r["gradms"]:F1}" : "-";
            var share = ranks > 1 ? $"{r["gradms"] / r["stepms"]:P1}" : "-";
            var skew = ranks > 1 ? $"{r["skewms"]:F1}" : "-";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {transport} | {ranks} | {r["tokps"]:F0} | {r["tokps"] / single:F2}x | {r["stepms"]:F0} | {grad} | {share} | {raw} | {ratio} | {skew} |"));
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"gradient bytes per step: {rows[0].Result["bytes"]:F0}; load average after the runs: {LoadAverage()}"));
        return 0;
    }

    private static Dictionary<string, double> Launch(string mpirun, IReadOnlyList<string> prefix, IReadOnlyList<string> mpiOptions, IReadOnlyList<string> workerArgs)
    {
        var start = new ProcessStartInfo(prefix.Count > 0 ? prefix[0] : mpirun) { RedirectStandardOutput = true, UseShellExecute = false };
        IEnumerable<string> arguments = prefix.Count > 0 ? [.. prefix.Skip(1), mpirun] : [];
        arguments = arguments.Concat(["--allow-run-as-root", "--oversubscribe", .. mpiOptions, "dotnet", typeof(DdpBenchmark).Assembly.Location, .. workerArgs]);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Console.WriteLine($"$ {string.Join(' ', start.ArgumentList.Prepend(start.FileName))}");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var line = output.Split('\n').FirstOrDefault(l => l.Contains(ResultPrefix, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"The worker printed no result (exit {process.ExitCode}):\n{output}");
        return line[(line.IndexOf(ResultPrefix, StringComparison.Ordinal) + ResultPrefix.Length)..]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('='))
            .ToDictionary(pair => pair[0], pair => double.Parse(pair[1], CultureInfo.InvariantCulture));
    }

    private static int Worker(BenchmarkArguments options)
    {
        var steps = options.Int("steps", 4);
        using var collective = Collectives.Create();
        return AbortOnFailure.Run(collective, () => Measure(collective, steps, options.Has("non-blocking")));
    }

    private static int Measure(ICollective collective, int steps, bool nonBlocking)
    {
        const int Batch = 8, Context = 256;
        torch.set_num_threads(1);
        var config = GptConfig.Seed with { ContextLength = Context, Dropout = 0 };
        var random = new Random(1);
        var tokens = new TokenArray(Enumerable.Range(0, (Batch * collective.WorldSize * (Context + 1) * (steps + 2)) + 1).Select(_ => random.Next(config.VocabSize)).ToArray());
        using var model = new GptModel(config, seed: 1);
        var trainingOptions = new TrainingOptions
        {
            BatchSize = Batch,
            MaxSteps = steps + 1,
            WarmupSteps = 0,
            EvalInterval = 0,
            CheckpointInterval = 0,
            LogInterval = steps + 1,
            Threads = 1,
            SamplingMode = SamplingMode.ShuffledEpochs,
        };
        double tokensPerSecond = 0;
        TimeSpan afterWarmup = TimeSpan.Zero, skewAfterWarmup = TimeSpan.Zero;
        Trainer? trainer = null;
        trainer = new Trainer(model, new TrainingData(tokens, new RandomTokenVocabulary(config.VocabSize)), trainingOptions, collective: collective)
        {
            // Step 1 is the warm-up: its averaging time is left out, as the throughput window leaves it out.
            AfterStep = step =>
            {
                if (step == 1)
                {
                    (afterWarmup, skewAfterWarmup) = (trainer!.Synchronizer!.Elapsed, trainer.Synchronizer.SkewElapsed);
                }
            },
            // A barrier before averaging, so its time leaves out waiting for the slower rank (reported apart as skew).
            SeparateGradientSkew = true,
            NonBlockingGradientAllReduce = nonBlocking,
        };
        // Reports come after step 1 and after the last step, whose window excludes step 1.
        trainer.Train(new ProgressReporter(p => tokensPerSecond = p.TokensPerSecond));
        var synchronizer = trainer.Synchronizer!;
        var averagingMs = (synchronizer.Elapsed - afterWarmup).TotalMilliseconds / steps;
        var skewMs = (synchronizer.SkewElapsed - skewAfterWarmup).TotalMilliseconds / steps;
        var stepMs = (double)Batch * collective.WorldSize * Context / tokensPerSecond * 1000;
        var rawMs = collective.WorldSize > 1 ? AllReduceBenchmark.Measure(collective, synchronizer.TotalBytes, iterations: 5, warmupIterations: 1).TimePerOperation.TotalMilliseconds : 0;
        if (collective.IsPrimary)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ResultPrefix} ranks={collective.WorldSize} tokps={tokensPerSecond:F1} stepms={stepMs:F2} gradms={averagingMs:F2} rawms={rawMs:F2} skewms={skewMs:F2} bytes={synchronizer.TotalBytes}"));
        }

        return 0;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
