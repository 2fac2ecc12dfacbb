using System.Diagnostics;
using TinyGpt.Generation;
using TinyGpt.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Benchmarks;

/// <summary>
/// Training-step throughput (forward + backward + AdamW) and generation speed for the Tiny and
/// Seed presets: recomputing the whole sequence for every token, the KV cache with the module
/// weights ([out, in], <c>linear</c>), and the KV cache with the decode layout the product uses
/// (packed copies multiplied on every core by <c>RowProduct</c>). Batch-1 decoding reads every weight once per token, so the
/// memory bandwidth measured in the same run gives its bound: bandwidth / weight bytes.
/// </summary>
internal static class ModelBenchmark
{
    public static int Run(string[] args)
    {
        var options = new BenchmarkArguments(args);
        var threads = options.Int("threads", Environment.ProcessorCount);
        var newTokens = options.Int("new-tokens", 256);
        var steps = options.Int("steps", 5);
        var peak = options.Double("peak-gflops", 300);
        torch.set_num_threads(threads);
        Console.WriteLine($"TinyGpt model benchmark: {threads} threads, torch {torch.__version__}, MFU against a peak of {peak} GFLOP/s; memory bandwidth measured before each of 3 generation rounds (summing a 512 MB tensor)");
        Console.WriteLine();
        Console.WriteLine("| preset | params (non-emb) | batch x context | train tok/s | MFU | recompute gen tok/s | KV cache, module weights | KV cache, decode layout (product) | layout speed-up | bandwidth GB/s (min-median-max) | bound (median / weight bytes) | product / bound | product / recompute | greedy tokens equal |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|");
        foreach (var (name, config, batch, context) in new[]
        {
            ("tiny", GptConfig.Tiny with { VocabSize = 16_000, ContextLength = 512 }, 16, 128), // context 512 so 256 new tokens fit
            ("seed", GptConfig.Seed, 16, 256),
        })
        {
            using var model = new GptModel(config with { Dropout = 0 }, seed: 1);
            var train = TrainTokensPerSecond(model, batch, context, steps);
            var mfu = train * model.TrainingFlopsPerToken(context) / (peak * 1e9);
            var recomputed = GenerationTokensPerSecond(new TokenGenerator(model) { UseKvCache = false }, newTokens);
            // Interleaved three times with the bandwidth, so a change in the machine's speed (this
            // VM's drifts within minutes) hits all three alike; the bound uses the median bandwidth.
            double module = 0, layout = 0;
            var bandwidths = new List<double>();
            for (var round = 0; round < 3; round++)
            {
                bandwidths.Add(MemoryBandwidth());
                module += GenerationTokensPerSecond(new TokenGenerator(model) { UseDecodeLayout = false }, newTokens) / 3;
                layout += GenerationTokensPerSecond(new TokenGenerator(model), newTokens) / 3;
            }

            bandwidths.Sort();
            var bandwidth = bandwidths[1];
            var count = model.CountParameters();
            var bound = bandwidth / (count.Total * 4.0);
            var greedy = new GenerationOptions { MaxNewTokens = newTokens, Sampling = SamplingOptions.Greedy };
            var same = new TokenGenerator(model).Generate([0], greedy).SequenceEqual(new TokenGenerator(model) { UseDecodeLayout = false }.Generate([0], greedy));
            Console.WriteLine($"| {name} | {count.Total / 1e6:F2} M ({count.NonEmbedding / 1e6:F2} M) | {batch} x {context} | {train:F0} | {mfu:P1} | {recomputed:F1} | {module:F1} | {layout:F1} | {layout / module:F2}x | {bandwidths[0] / 1e9:F1}-{bandwidth / 1e9:F1}-{bandwidths[2] / 1e9:F1} | {bound:F0} | {layout / bound:P0} | {layout / recomputed:F1}x | {(same ? "yes" : "NO")} |");
        }

        return 0;
    }

    /// <summary>Bytes per second of reading a 512 MB fp32 tensor (a sum: one pass, no writes), best of five.</summary>
    private static double MemoryBandwidth()
    {
        using var data = ones(128L << 20);
        var best = double.MaxValue;
        for (var i = 0; i < 6; i++)
        {
            var watch = Stopwatch.StartNew();
            using var sum = data.sum();
            _ = sum.item<float>();
            if (i > 0)
            {
                best = Math.Min(best, watch.Elapsed.TotalSeconds);
            }
        }

        return data.NumberOfElements * 4.0 / best;
    }

    private static double TrainTokensPerSecond(GptModel model, int batch, int context, int steps)
    {
        model.train();
        using var optimizer = optim.AdamW(model.parameters(), lr: 3e-4, weight_decay: 0.1);
        using var generator = new Generator(7, torch.device("cpu"));
        double seconds = 0;
        for (var step = -1; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var tokens = randint(0, model.Config.VocabSize, [batch, context + 1], generator: generator, dtype: ScalarType.Int64);
            var watch = Stopwatch.StartNew();
            optimizer.zero_grad();
            var logits = model.forward(tokens[.., ..context]);
            var loss = nn.functional.cross_entropy(logits.view(-1, model.Config.VocabSize), tokens[.., 1..].reshape(-1));
            loss.backward();
            optimizer.step();
            if (step >= 0)
            {
                seconds += watch.Elapsed.TotalSeconds; // step -1 warms up
            }
        }

        return (double)batch * context * steps / seconds;
    }

    private static double GenerationTokensPerSecond(TokenGenerator generator, int newTokens)
    {
        var options = new GenerationOptions { MaxNewTokens = newTokens, Sampling = new SamplingOptions { Seed = 1, TopK = 50 } };
        // A whole generation first: the tiny preset's 256 tokens take a tenth of a second, less than
        // .NET needs to compile the decoding loop's hot methods fully (an 8-token warm-up left the
        // tiny rows measuring the compiler, 0.4-0.7x the module weights for the same kernels).
        generator.Generate([0], options);
        var watch = Stopwatch.StartNew();
        var produced = generator.Generate([0], options).Length;
        return produced / watch.Elapsed.TotalSeconds;
    }
}
