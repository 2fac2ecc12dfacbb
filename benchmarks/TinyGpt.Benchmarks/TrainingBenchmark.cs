using System.Diagnostics;
using TinyGpt.Modeling;
using TinyGpt.Tokens;
using TinyGpt.Torch;
using TinyGpt.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Benchmarks;

/// <summary>
/// The library's training loop (<see cref="Trainer"/>, what <c>tinygpt train</c> runs) against a
/// bare TorchSharp loop of the same model, batch and context in the same process: tokens/s, MFU
/// and the ratio. Both use random tokens so that only the loop differs. Evaluation
/// (<see cref="ModelEvaluator"/>, forward only) of the same model and batch is timed beside them,
/// and, when a Python with PyTorch is found (Debian's <c>python3-torch</c> at <c>/usr/bin/python3</c>,
/// or <c>--python PATH</c>), the same model and step in PyTorch (<c>benchmarks/pytorch/train_steps.py</c>)
/// with the same number of threads for torch and its BLAS.
/// </summary>
internal static class TrainingBenchmark
{
    public static int Run(string[] args)
    {
        var options = new BenchmarkArguments(args);
        var steps = options.Int("steps", 10);
        var peak = options.Double("peak-gflops", 300) * 1e9;
        var threads = options.Int("threads", Environment.ProcessorCount);
        var presets = (options.Get("presets") ?? "main,tiny,seed").Split(',');
        var rounds = options.Int("rounds", 3);
        var heaps = (options.Get("heap") ?? "default,reuse").Split(',');
        if (heaps.FirstOrDefault(heap => heap is not ("default" or "reuse")) is { } unknown)
        {
            Console.Error.WriteLine($"--heap takes default, reuse or both comma-separated (got '{unknown}').");
            return 2;
        }

        torch.set_num_threads(threads);
        var pytorch = options.Has("no-pytorch") ? null : PyTorchRunner.Find(options.Get("python") ?? "/usr/bin/python3", threads);
        Console.WriteLine($"TinyGpt training benchmark: {threads} threads, {steps} timed steps after 1 warm-up step, {rounds} interleaved rounds, MFU against {peak / 1e9:F0} GFLOP/s");
        Console.WriteLine(pytorch is null ? "PyTorch: not found (install python3-torch, or give --python PATH)" : $"PyTorch: {pytorch.Description}");
        Console.WriteLine("heap: default = glibc's thresholds (large blocks mapped and unmapped each time); reuse = freed memory kept, what tinygpt runs with (NativeHeap.GlibcTunables; PyTorch gets the same through GLIBC_TUNABLES)");
        Console.WriteLine();
        Console.WriteLine("| preset | batch x context | heap | bare loop tok/s | bare MFU | TinyGpt Trainer tok/s | Trainer MFU | Trainer / bare | Trainer / default heap | evaluation tok/s | evaluation / Trainer | PyTorch tok/s | Trainer / PyTorch |");
        Console.WriteLine("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var preset in presets)
        {
            var (config, batch, context) = preset switch
            {
                // The main job's model: what `tinygpt` with no command trains (8k BPE).
                "main" => (GptConfig.Tiny with { VocabSize = 8_000 }, 16, 128),
                "tiny" => (GptConfig.Tiny with { VocabSize = 16_000 }, 16, 128),
                "small" => (GptConfig.Small with { VocabSize = 16_000 }, 16, 256),
                _ => (GptConfig.Seed with { ContextLength = 256 }, 16, 256),
            };
            config = config with { Dropout = 0 };
            var tokens = new TokenArray(RandomTokens(config.VocabSize, (batch * (context + 1) * (steps + 2)) + 1));

            // Interleaved rounds (and heap settings within a round), so drift of the machine's speed hits every loop alike.
            var results = heaps.ToDictionary(heap => heap, _ => new double[4]);
            for (var round = 0; round < rounds; round++)
            {
                foreach (var heap in heaps)
                {
                    UseHeap(heap);
                    var sums = results[heap];
                    sums[0] += BareLoop(config, tokens, batch, context, steps) / rounds;
                    sums[1] += LibraryLoop(config, tokens, batch, context, steps) / rounds;
                    sums[2] += EvaluationLoop(config, tokens, batch, context) / rounds;
                    sums[3] += (pytorch?.TokensPerSecond(config, batch, context, steps, reuseFreedMemory: heap == "reuse") ?? 0) / rounds;
                }
            }

            using var probe = new GptModel(config);
            var flops = probe.TrainingFlopsPerToken(context);
            var baseline = results[heaps[0]][1];
            foreach (var heap in heaps)
            {
                var (bare, library, evaluation, reference) = (results[heap][0], results[heap][1], results[heap][2], results[heap][3]);
                var versus = pytorch is null ? "- | -" : $"{reference:F0} | {library / reference:F2}x";
                Console.WriteLine($"| {preset} | {batch} x {context} | {heap} | {bare:F0} | {bare * flops / peak:P1} | {library:F0} | {library * flops / peak:P1} | {library / bare:F3} | {library / baseline:F2}x | {evaluation:F0} | {evaluation / library:F2} | {versus} |");
            }
        }

        UseHeap("reuse");
        return 0;
    }

    private static void UseHeap(string heap)
    {
        // The loops run on this (the main) thread, whose arena follows mallopt at once; see NativeHeap.
        if (!NativeHeap.SetMainArenaReuse(heap == "reuse"))
        {
            Console.WriteLine($"(heap '{heap}' could not be set here: the C library is not glibc)");
        }
    }

    private static int[] RandomTokens(int vocab, int count)
    {
        var random = new Random(1);
        return Enumerable.Range(0, count).Select(_ => random.Next(vocab)).ToArray();
    }

    private static double BareLoop(GptConfig config, TokenArray tokens, int batch, int context, int steps)
    {
        using var model = new GptModel(config, seed: 1);
        model.train();
        using var optimizer = optim.AdamW(model.parameters(), lr: 1e-3, beta1: 0.9, beta2: 0.95, weight_decay: 0.1);
        var buffer = new long[batch * (context + 1)];
        double seconds = 0;
        for (var step = -1; step < steps; step++)
        {
            var watch = Stopwatch.StartNew();
            using var scope = NewDisposeScope();
            tokens.CopyTo((long)(step + 1) * buffer.Length, buffer);
            var all = torch.tensor(buffer).view(batch, context + 1);
            optimizer.zero_grad();
            var logits = model.forward(all[.., ..context]);
            var loss = nn.functional.cross_entropy(logits.view(-1, config.VocabSize), all[.., 1..].reshape(-1));
            loss.backward();
            nn.utils.clip_grad_norm_(model.parameters(), 1.0);
            optimizer.step();
            _ = loss.item<float>();
            if (step >= 0)
            {
                seconds += watch.Elapsed.TotalSeconds;
            }
        }

        return (double)batch * context * steps / seconds;
    }

    private static double EvaluationLoop(GptConfig config, TokenArray tokens, int batch, int context)
    {
        using var model = new GptModel(config, seed: 1);
        var settings = new EvaluationSettings { ContextLength = context, BatchSize = batch };
        // One batch first (warm-up), then the whole token array: the same windows training reads.
        _ = ModelEvaluator.Evaluate(model, tokens, settings with { MaxBatches = 1 });
        var watch = Stopwatch.StartNew();
        var result = ModelEvaluator.Evaluate(model, tokens, settings);
        return result.Tokens / watch.Elapsed.TotalSeconds;
    }

    private static double LibraryLoop(GptConfig config, TokenArray tokens, int batch, int context, int steps)
    {
        using var model = new GptModel(config, seed: 1);
        var options = new TrainingOptions
        {
            BatchSize = batch,
            ContextLength = context,
            MaxSteps = steps + 1,
            WarmupSteps = 0,
            EvalInterval = 0,
            CheckpointInterval = 0,
            LogInterval = steps + 1,
        };
        double tokensPerSecond = 0;
        // Reports come after step 1 (the warm-up) and after the last step, whose window excludes step 1.
        var progress = new ProgressReporter(p => tokensPerSecond = p.TokensPerSecond);
        new Trainer(model, new TrainingData(tokens, new RandomTokenVocabulary(config.VocabSize)), options).Train(progress);
        return tokensPerSecond;
    }
}
