using System.Diagnostics;
using TinyGpt.Generation;
using TinyGpt.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Benchmarks;

/// <summary>
/// Training-step throughput (forward + backward + AdamW) and generation speed with the KV cache
/// versus recomputing the whole sequence for every token, for the Tiny and Seed presets.
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
        Console.WriteLine($"TinyGpt model benchmark: {threads} threads, torch {torch.__version__}, MFU against a peak of {peak} GFLOP/s");
        Console.WriteLine();
        Console.WriteLine("| preset | params (non-emb) | batch x context | train tok/s | MFU | KV-cache gen tok/s | recompute gen tok/s | speed-up |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, config, batch, context) in new[]
        {
            ("tiny", GptConfig.Tiny with { VocabSize = 16_000, ContextLength = 512 }, 16, 128), // context 512 so 256 new tokens fit
            ("seed", GptConfig.Seed, 16, 256),
        })
        {
            using var model = new GptModel(config with { Dropout = 0 }, seed: 1);
            var train = TrainTokensPerSecond(model, batch, context, steps);
            var mfu = train * model.TrainingFlopsPerToken(context) / (peak * 1e9);
            var cached = GenerationTokensPerSecond(model, newTokens, useCache: true);
            var recomputed = GenerationTokensPerSecond(model, newTokens, useCache: false);
            var count = model.CountParameters();
            Console.WriteLine($"| {name} | {count.Total / 1e6:F2} M ({count.NonEmbedding / 1e6:F2} M) | {batch} x {context} | {train:F0} | {mfu:P1} | {cached:F1} | {recomputed:F1} | {cached / recomputed:F1}x |");
        }

        return 0;
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

    private static double GenerationTokensPerSecond(GptModel model, int newTokens, bool useCache)
    {
        var generator = new TokenGenerator(model) { UseKvCache = useCache };
        var options = new GenerationOptions { MaxNewTokens = newTokens, Sampling = new SamplingOptions { Seed = 1, TopK = 50 } };
        generator.Generate([0], options with { MaxNewTokens = 8 }); // warm-up
        var watch = Stopwatch.StartNew();
        var produced = generator.Generate([0], options).Length;
        return produced / watch.Elapsed.TotalSeconds;
    }
}
