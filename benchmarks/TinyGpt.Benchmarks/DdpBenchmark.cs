using System.Diagnostics;
using System.Globalization;
using TinyGpt.Distributed;
using TinyGpt.Distributed.Diagnostics;
using TinyGpt.Modeling;
using TinyGpt.Tokens;
using TinyGpt.Training;
using TorchSharp;

namespace TinyGpt.Benchmarks;

/// <summary>
/// Data-parallel scaling: the <see cref="Trainer"/> on the seed preset (context 256, batch 8 per rank,
/// one thread per rank) with 1 and 2 ranks under mpirun; tokens/s and their ratio. After training,
/// each worker times the product's gradient averaging (one blocking all-reduce per bucket) on the
/// model's real gradients, against a raw MPI all-reduce of the same number of bytes, and, as an
/// experiment kept here rather than in the library, averaging with every bucket's all-reduce started
/// at once (non-blocking). Run without <c>--worker</c> it is the driver: it launches the workers with
/// mpirun itself and prints a markdown table. Optional <c>--tcp-*</c> options add a run between two
/// hosts over TCP; <c>--repeat N</c> repeats the multi-rank runs; <c>--batch</c> and <c>--context</c>
/// shrink a smoke run.
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
        var batch = options.Int("batch", 8);
        var context = options.Int("context", 256);
        var repeat = options.Int("repeat", 1);
        var common = new List<string> { "ddp", "--worker", "--steps", Invariant(steps), "--batch", Invariant(batch), "--context", Invariant(context) };
        List<(string Mode, string[] Arguments)> modes = [("blocking, bucket after bucket", [])];

        Console.WriteLine($"TinyGpt DDP benchmark: seed preset, context {context}, batch {batch} per rank, 1 thread per rank, {steps} timed steps after 1 warm-up step{(repeat > 1 ? $", {repeat} rounds" : string.Empty)}");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {LoadAverage()}");
        var rows = new List<(string Mode, string Transport, Dictionary<string, double> Result)>
        {
            ("-", "shared memory", Launch(mpirun, [], ["-np", "1"], common)),
        };
        for (var round = 0; round < repeat; round++)
        {
            foreach (var (mode, arguments) in modes)
            {
                rows.Add((mode, "shared memory", Launch(mpirun, [], ["-np", "2"], [.. common, .. arguments])));
            }

            if (options.Get("tcp-hostfile") is { } hostfile)
            {
                // For example two network namespaces joined by a veth pair (see docs/distributed.md).
                var prefix = (options.Get("tcp-launch") ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var subnet = options.Get("tcp-subnet") ?? throw new ArgumentException("--tcp-hostfile needs --tcp-subnet");
                // Namespaces on one machine look like two nodes, so Open MPI would bind both ranks
                // to "their node's" core 0, the same physical core: --bind-to none.
                var mpiOptions = new List<string> { "--hostfile", hostfile, "--map-by", "node", "--bind-to", "none", "--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", subnet, "--mca", "oob_tcp_if_include", subnet, "-np", "2" };
                if (options.Get("tcp-agent") is { } agent)
                {
                    mpiOptions.InsertRange(0, ["--mca", "plm_rsh_agent", agent]);
                }

                foreach (var (mode, arguments) in modes)
                {
                    rows.Add((mode, "TCP, 2 hosts", Launch(mpirun, prefix, mpiOptions, [.. common, .. arguments])));
                }
            }
        }

        var single = rows[0].Result["tokps"];
        Console.WriteLine();
        Console.WriteLine("| transport | ranks | tokens/s | speedup vs 1 rank | step (ms) | averaging (ms/step) | share of step | raw all-reduce, same bytes (ms) | averaging / raw | non-blocking averaging (experiment, ms) | buckets |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (_, transport, r) in rows)
        {
            var ranks = (int)r["ranks"];
            string Multi(string text) => ranks > 1 ? text : "-";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {transport} | {ranks} | {r["tokps"]:F0} | {r["tokps"] / single:F2}x | {r["stepms"]:F0} | {Multi($"{r["gradms"]:F1}")} | {Multi($"{r["gradms"] / r["stepms"]:P1}")} | {Multi($"{r["rawms"]:F1}")} | {Multi($"{r["gradms"] / r["rawms"]:F2}x")} | {Multi($"{r["nonblockingms"]:F1}")} | {r["buckets"]:F0} |"));
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
        using var collective = Collectives.Create();
        return AbortOnFailure.Run(collective, () => Measure(collective, options));
    }

    private static int Measure(ICollective collective, BenchmarkArguments options)
    {
        var steps = options.Int("steps", 4);
        var (batch, context) = (options.Int("batch", 8), options.Int("context", 256));
        torch.set_num_threads(1);
        var config = GptConfig.Seed with { ContextLength = context, Dropout = 0 };
        var random = new Random(1);
        var tokens = new TokenArray(Enumerable.Range(0, (batch * collective.WorldSize * (context + 1) * (steps + 2)) + 1).Select(_ => random.Next(config.VocabSize)).ToArray());
        using var model = new GptModel(config, seed: 1);
        var trainingOptions = new TrainingOptions
        {
            BatchSize = batch,
            MaxSteps = steps + 1,
            WarmupSteps = 0,
            EvalInterval = 0,
            CheckpointInterval = 0,
            LogInterval = steps + 1,
            Threads = 1,
            BatchOrder = BatchOrder.ShuffledEpochs,
        };

        // Reports come after step 1 and after the last step, whose window excludes step 1 (the warm-up).
        double tokensPerSecond = 0;
        var trainer = new Trainer(model, new TrainingData(tokens, new RandomTokenVocabulary(config.VocabSize)), trainingOptions, collective: collective);
        trainer.Train(new ProgressReporter(p => tokensPerSecond = p.TokensPerSecond));

        // The averaging on its own, on the gradients training left, after a barrier so that waiting
        // for the slower rank is not counted.
        var parameters = model.NamedParameters().Select(p => (torch.Tensor)p.Parameter).ToList();
        using var averager = new GradientAverager(collective, parameters, trainer.GradientBucketBytes);
        var averagingMs = collective.WorldSize > 1 ? TimePerCall(collective, averager.Average, steps) : 0;
        var nonBlockingMs = collective.WorldSize > 1 ? TimePerCall(collective, () => AverageNonBlocking(collective, averager), steps) : 0;
        var stepMs = (double)batch * collective.WorldSize * context / tokensPerSecond * 1000;
        var rawMs = collective.WorldSize > 1 ? AllReduceBenchmark.Measure(collective, averager.TotalBytes, iterations: 5, warmupIterations: 1).TimePerOperation.TotalMilliseconds : 0;
        if (collective.IsPrimary)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ResultPrefix} ranks={collective.WorldSize} tokps={tokensPerSecond:F1} stepms={stepMs:F2} gradms={averagingMs:F2} nonblockingms={nonBlockingMs:F2} rawms={rawMs:F2} buckets={averager.BucketCount} bytes={averager.TotalBytes}"));
        }

        return 0;
    }

    private static double TimePerCall(ICollective collective, Action call, int iterations)
    {
        call(); // warm-up: the first call packs the buckets
        var total = TimeSpan.Zero;
        for (var i = 0; i < iterations; i++)
        {
            collective.Barrier();
            var watch = Stopwatch.StartNew();
            call();
            total += watch.Elapsed;
        }

        return AllReduceBenchmark.MaxOverRanks(collective, total.TotalMilliseconds / iterations);
    }

    /// <summary>The experiment: every bucket's all-reduce started before waiting for any (measured slower than one after another with Open MPI 4.1).</summary>
    private static void AverageNonBlocking(ICollective collective, GradientAverager averager)
    {
        using var scope = torch.NewDisposeScope();
        var buckets = Enumerable.Range(0, averager.BucketCount)
            .Select(b => torch.cat(averager.BucketParameters(b).Select(p => p.grad!.reshape(-1)).ToArray(), 0))
            .ToList();
        var requests = buckets.Select(collective.AllReduceSumAsync).ToList();
        using var scale = (1.0 / collective.WorldSize).ToScalar();
        for (var i = 0; i < buckets.Count; i++)
        {
            requests[i].Wait();
            buckets[i].mul_(scale);
        }
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
