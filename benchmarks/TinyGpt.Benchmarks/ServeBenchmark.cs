using System.Diagnostics;
using TinyGpt.Generation;
using TinyGpt.Modeling;
using TinyGpt.Torch;
using TorchSharp;

namespace TinyGpt.Benchmarks;

/// <summary>
/// Concurrent requests to one <see cref="TokenGenerator"/> (what <c>AddTinyGpt</c>, the chat client
/// and the hosting sample serve): 1, 2, 4, 8 and 16 clients, each sending requests one after
/// another, so requests join and leave a running batch. Prints aggregate tokens/s against one client
/// (batch 1) measured in the same run, time-to-first-token and per-token latency percentiles, the
/// bound "one prefill plus one step" for the first token, and whether every request's tokens equal
/// its lone generation (seeded sampling, a seed per request).
/// </summary>
internal static class ServeBenchmark
{
    public static int Run(string[] args)
    {
        var options = new BenchmarkArguments(args);
        var threads = options.Int("threads", Environment.ProcessorCount);
        var newTokens = options.Int("new-tokens", 64);
        var perClient = options.Int("requests", 4);
        var preset = options.Get("preset") ?? "seed";
        var greedy = options.Has("greedy");
        // Callers that wait for whole outputs (GenerateAsync) instead of streaming every token.
        var whole = options.Has("whole");
        int[] clients = [.. (options.Get("clients") ?? "1,2,4,8,16").Split(',').Select(int.Parse)];
        torch.set_num_threads(threads);
        var config = preset == "tiny" ? GptConfig.Tiny with { VocabSize = 16_000 } : GptConfig.Seed;
        using var model = new GptModel(config, seed: 1);
        Console.WriteLine($"TinyGpt serve benchmark: {preset} preset, {threads} threads, torch {torch.__version__}; each client sends {perClient} requests of {newTokens / 2}-{newTokens * 3 / 2} new tokens one after another (prompts of 4-40 tokens, {(greedy ? "greedy" : "seeded top-k 50")}, {(whole ? "whole outputs: TTFT columns show the time to the whole output" : "streamed")})");
        Console.WriteLine();

        if (options.Has("steps-only"))
        {
            StepTimes(model, clients);
            return 0;
        }

        var generator = new TokenGenerator(model, maxBatchSize: clients.Max());
        generator.Generate([0, 1, 2], new GenerationOptions { MaxNewTokens = 8 }); // warm-up
        var requests = Enumerable.Range(0, clients.Max() * perClient).Select(i => Request(i, newTokens, greedy)).ToArray();

        // Every request alone first: the reference tokens, and the lone prefill time.
        var alone = new int[requests.Length][];
        var prefills = new List<double>();
        for (var i = 0; i < requests.Length; i++)
        {
            var watch = Stopwatch.StartNew();
            var first = true;
            var tokens = new List<int>();
            foreach (var token in generator.GenerateStreaming(requests[i].Prompt, requests[i].Options))
            {
                if (first)
                {
                    prefills.Add(watch.Elapsed.TotalMilliseconds);
                    first = false;
                }

                tokens.Add(token);
            }

            alone[i] = [.. tokens];
        }

        Console.WriteLine("| clients | requests | tokens | seconds | aggregate tok/s | vs 1 client | steady tok/s | steady vs 1 client | largest batch | TTFT p50 / p90 / max (ms) | joining TTFT p50 / max (ms) | TTFT bound (ms) | token interval p50 / p90 (ms) | ms per step: forward / sample / hand-off / prefill / rest | equal to alone |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---|---|---|");
        double? single = null;
        double? singleSteady = null;
        foreach (var count in clients)
        {
            var served = new TokenGenerator(model, maxBatchSize: count);
            served.Generate([0, 1, 2], new GenerationOptions { MaxNewTokens = 4 });
            var results = new (int Index, int[] Tokens, double FirstMs, List<double> IntervalsMs, double[] ArrivalsMs)[count * perClient];
            var clock = Stopwatch.StartNew();
            var stepsBefore = served.Batcher.Steps;
            var gcBefore = (Gen0: GC.CollectionCount(0), Gen1: GC.CollectionCount(1), Gen2: GC.CollectionCount(2), Allocated: GC.GetTotalAllocatedBytes(), Paused: GC.GetTotalPauseDuration());
            var timingsBefore = served.Batcher.Timings;
            Task.WaitAll([.. Enumerable.Range(0, count).Select(client => Task.Run(async () =>
            {
                for (var k = 0; k < perClient; k++)
                {
                    var index = (client * perClient) + k;
                    results[index] = whole ? await Whole(served, index, requests[index], clock).ConfigureAwait(false) : await Timed(served, index, requests[index], clock).ConfigureAwait(false);
                }
            }))]);
            var seconds = clock.Elapsed.TotalSeconds;
            var steps = served.Batcher.Steps - stepsBefore;
            // The collector's own count: a sampling profiler shows its stack walks as time in PollGC.
            Console.Error.WriteLine($"garbage collection with {count} clients: gen0 {GC.CollectionCount(0) - gcBefore.Gen0} gen1 {GC.CollectionCount(1) - gcBefore.Gen1} gen2 {GC.CollectionCount(2) - gcBefore.Gen2} allocated {(GC.GetTotalAllocatedBytes() - gcBefore.Allocated) / 1e6:F0} MB pause {(GC.GetTotalPauseDuration() - gcBefore.Paused).TotalMilliseconds:F0} ms over {steps} steps, {seconds:F2} s");
            var tokens = results.Sum(r => r.Tokens.Length);
            var rate = tokens / seconds;
            single ??= rate;
            var stepMs = seconds * 1000 / steps;
            var ttft = results.Select(r => r.FirstMs).Order().ToArray();
            // Requests after a client's first join a batch that is already decoding.
            var joining = results.Where(r => r.Index % perClient > 0).Select(r => r.FirstMs).Order().ToArray();
            var intervals = results.SelectMany(r => r.IntervalsMs).Order().ToArray();
            var equal = results.All(r => r.Tokens.SequenceEqual(alone[r.Index]));
            // One prefill (the longest lone one measured) plus one step of this batch.
            var bound = prefills.Max() + stepMs;
            var timings = served.Batcher.Timings;
            var perStep = new[] { timings.Forward - timingsBefore.Forward, timings.Sample - timingsBefore.Sample, timings.HandOff - timingsBefore.HandOff, timings.Prefill - timingsBefore.Prefill }
                .Select(t => t.TotalMilliseconds / steps).ToArray();
            var steady = SteadyRate(results, count, perClient);
            singleSteady ??= steady;
            var split = $"{perStep[0]:F1} / {perStep[1]:F1} / {perStep[2]:F1} / {perStep[3]:F1} / {stepMs - perStep.Sum():F1}";
            Console.WriteLine($"| {count} | {results.Length} | {tokens} | {seconds:F2} | {rate:F0} | {rate / single:F2}x | {steady:F0} | {steady / singleSteady:F2}x | {served.Batcher.LargestBatch} | {Percentile(ttft, 0.5):F0} / {Percentile(ttft, 0.9):F0} / {ttft[^1]:F0} | {Percentile(joining, 0.5):F0} / {(joining.Length > 0 ? joining[^1] : 0):F0} | {bound:F0} | {Percentile(intervals, 0.5):F1} / {Percentile(intervals, 0.9):F1} | {split} | {(equal ? "yes" : "NO")} |");
        }

        return 0;
    }

    // One batched decode step, rows of equal and of different lengths, without sampling; like the
    // product's decoding loop, with libtorch's operators on this thread alone (OpenMpThreads).
    private static void StepTimes(GptModel model, int[] batches)
    {
        model.eval();
        using var noGrad = torch.no_grad();
        var threads = torch.get_num_threads();
        OpenMpThreads.TrySet(1);
        try
        {
            StepTimesOnOneThread(model, batches, threads);
        }
        finally
        {
            OpenMpThreads.TrySet(threads);
        }
    }

    private static void StepTimesOnOneThread(GptModel model, int[] batches, int threads)
    {
        Console.WriteLine("| rows | equal lengths (ms/step) | different lengths (ms/step) |");
        Console.WriteLine("|---:|---:|---:|");
        foreach (var rows in batches)
        {
            var times = new double[2];
            for (var ragged = 0; ragged < 2; ragged++)
            {
                // As the product does: the weight copies take their thread count when they are made.
                OpenMpThreads.TrySet(threads);
                using var cache = model.CreateBatchedCache(rows, decodeLayout: true);
                OpenMpThreads.TrySet(1);
                for (var r = 0; r < rows; r++)
                {
                    var row = cache.AddRow();
                    using var rowCache = cache.Row(row);
                    using var prompt = torch.ones([1, 20 + (ragged * r)], torch.ScalarType.Int64);
                    model.forward(prompt, rowCache, lastPositionOnly: true).Dispose();
                    cache.CompletePrefill(row, rowCache);
                }

                using var input = torch.ones([rows, 1], torch.ScalarType.Int64);
                var watch = new Stopwatch();
                for (var step = 0; step < 40; step++)
                {
                    if (step == 8)
                    {
                        watch.Start();
                    }

                    using var logits = model.DecodeStep(input, cache);
                    _ = logits.data<float>()[0];
                }

                times[ragged] = watch.Elapsed.TotalMilliseconds / 32;
            }

            Console.WriteLine($"| {rows} | {times[0]:F2} | {times[1]:F2} |");
        }
    }

    private static (IReadOnlyList<int> Prompt, GenerationOptions Options) Request(int index, int newTokens, bool greedy)
    {
        var random = new Random(index);
        var prompt = Enumerable.Range(0, 4 + random.Next(37)).Select(_ => random.Next(16_000)).ToArray();
        // Lengths from half to one and a half times the mean, so requests finish and join at different steps.
        return (prompt, new GenerationOptions { MaxNewTokens = (newTokens / 2) + random.Next(newTokens + 1), Sampling = greedy ? SamplingOptions.Greedy : new SamplingOptions { TopK = 50, Seed = 1000 + index } });
    }

    private static async Task<(int, int[], double, List<double>, double[])> Whole(TokenGenerator generator, int index, (IReadOnlyList<int> Prompt, GenerationOptions Options) request, Stopwatch clock)
    {
        var watch = Stopwatch.StartNew();
        var tokens = await generator.GenerateAsync(request.Prompt, request.Options).ConfigureAwait(false);
        var done = clock.Elapsed.TotalMilliseconds;
        return (index, tokens, watch.Elapsed.TotalMilliseconds, [], [.. tokens.Select(_ => done)]);
    }

    private static async Task<(int, int[], double, List<double>, double[])> Timed(TokenGenerator generator, int index, (IReadOnlyList<int> Prompt, GenerationOptions Options) request, Stopwatch clock)
    {
        var watch = Stopwatch.StartNew();
        var tokens = new List<int>();
        var intervals = new List<double>();
        var arrivals = new List<double>();
        double first = 0, last = 0;
        await foreach (var token in generator.GenerateStreamingAsync(request.Prompt, request.Options).ConfigureAwait(false))
        {
            var now = watch.Elapsed.TotalMilliseconds;
            if (tokens.Count == 0)
            {
                first = now;
            }
            else
            {
                intervals.Add(now - last);
            }

            last = now;
            tokens.Add(token);
            arrivals.Add(clock.Elapsed.TotalMilliseconds);
        }

        return (index, [.. tokens], first, intervals, [.. arrivals]);
    }

    // Tokens/s while every client had a request in flight: from the moment the last client got its
    // first token to the moment the first client got its last, so neither the start (all prompts
    // at once) nor the drain (fewer and fewer rows) counts; the goal is about N concurrent requests.
    private static double SteadyRate((int Index, int[] Tokens, double FirstMs, List<double> IntervalsMs, double[] ArrivalsMs)[] results, int clients, int perClient)
    {
        var byClient = Enumerable.Range(0, clients).Select(c => results.Skip(c * perClient).Take(perClient).ToArray()).ToArray();
        var start = byClient.Max(c => c[0].ArrivalsMs.Length > 0 ? c[0].ArrivalsMs[0] : 0);
        var end = byClient.Min(c => c[^1].ArrivalsMs.Length > 0 ? c[^1].ArrivalsMs[^1] : 0);
        var tokens = results.Sum(r => r.ArrivalsMs.Count(t => t > start && t <= end));
        return end > start ? tokens * 1000 / (end - start) : 0;
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))];
}
