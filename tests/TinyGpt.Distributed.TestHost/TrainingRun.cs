using System.Globalization;
using TinyGpt.Checkpoints;
using TinyGpt.Modeling;
using TinyGpt.Runs;
using TinyGpt.Tokens;
using TinyGpt.Training;
using TorchSharp;

namespace TinyGpt.Distributed.TestHost;

/// <summary>
/// The <c>train</c> command: a tiny model on in-memory bytes through <see cref="DistributedTrainer"/>.
/// Rank 0 writes metrics.jsonl, the final model and checkpoints into the folder given by <c>--out</c>.
/// </summary>
internal static class TrainingRun
{
    private const string Text = "the quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. ";

    public const string Usage = """
          train --out DIR [--batch B] [--accumulation A] [--steps N] [--cancel-at K] [--resume]
                [--check-replicas] [--throw-on-rank R --throw-at-step S] [--float64]
                                       train a tiny model (dropout 0, each rank initialized with another seed);
                                       rank 0 writes DIR/metrics.jsonl and DIR/model.safetensors; --cancel-at stops
                                       after step K with a checkpoint (exit 3); --resume continues from DIR's latest
                                       checkpoint; --check-replicas compares every parameter bit across ranks each step;
                                       --float64 trains in double precision (equivalence checks without float32 noise)
        """;

    public static int Run(ICollective collective, string[] args)
    {
        string? output = null;
        int batch = 2, accumulation = 1, steps = 8;
        int? cancelAt = null, throwRank = null, throwStep = null;
        bool resume = false, checkReplicas = false, float64 = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--out": output = args[++i]; break;
                case "--batch": batch = Int(args[++i]); break;
                case "--accumulation": accumulation = Int(args[++i]); break;
                case "--steps": steps = Int(args[++i]); break;
                case "--cancel-at": cancelAt = Int(args[++i]); break;
                case "--throw-on-rank": throwRank = Int(args[++i]); break;
                case "--throw-at-step": throwStep = Int(args[++i]); break;
                case "--resume": resume = true; break;
                case "--check-replicas": checkReplicas = true; break;
                case "--float64": float64 = true; break;
                default: throw new ArgumentException($"unknown train option '{args[i]}'");
            }
        }

        if (output is null)
        {
            throw new ArgumentException("train needs --out DIR");
        }

        var config = GptConfig.Tiny with { VocabSize = 256, ContextLength = 32, EmbeddingSize = 48, LayerCount = 2, HeadCount = 2, Dropout = 0 };
        var tokenizer = new ByteTokenizer();
        var data = new TrainingData(new TokenArray(tokenizer.Encode(string.Concat(Enumerable.Repeat(Text, 30)))), tokenizer);
        var options = new TrainingOptions
        {
            BatchSize = batch,
            GradientAccumulationSteps = accumulation,
            MaxSteps = steps,
            LearningRate = 3e-3,
            WarmupSteps = 2,
            EvalInterval = 0,
            CheckpointInterval = 0,
            LogInterval = 1,
            Seed = 5,
            Threads = 1,
            BatchOrder = BatchOrder.ShuffledEpochs,
        };

        // A different seed per rank: equal results prove that rank 0's weights were broadcast.
        using var model = new GptModel(config, seed: 11 + collective.Rank);
        if (float64)
        {
            model.to(torch.float64);
        }

        using var cancellation = new CancellationTokenSource();
        using var distributed = new DistributedTrainer(collective);
        var trainer = distributed.CreateTrainer(
            model,
            data,
            options,
            checkpoints: new CheckpointStore(Path.Combine(output, "checkpoints")),
            observers: [new MetricsFile(Path.Combine(output, "metrics.jsonl")), new FinalModelWriter(Path.Combine(output, "model.safetensors"))]);
        if (resume)
        {
            trainer.ResumeFromLatest();
        }

        // Runs on every rank after each step (log interval 1), on the training thread.
        var afterStep = new Progress(step =>
        {
            if (checkReplicas)
            {
                CompareAllParameterBits(collective, model, step);
            }

            if (step == throwStep && collective.Rank == throwRank)
            {
                throw new InvalidOperationException($"injected training failure on rank {collective.Rank} at step {step}");
            }

            if (step == cancelAt)
            {
                cancellation.Cancel();
            }
        });

        try
        {
            var result = trainer.Train(afterStep, cancellation.Token);
            Console.WriteLine($"rank {collective.Rank}: trained {result.Steps} steps, final loss {result.FinalLoss.ToString("R", CultureInfo.InvariantCulture)}");
            return 0;
        }
        catch (TrainingStoppedException)
        {
            Console.WriteLine($"rank {collective.Rank}: cancelled after step {cancelAt}");
            return 3;
        }
    }

    /// <summary>Gathers every rank's parameters and compares them bit for bit with rank 0's.</summary>
    private static void CompareAllParameterBits(ICollective collective, GptModel model, int step)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var flat = torch.cat(model.parameters().Select(p => p.detach().reshape(-1).to(torch.float64)).ToArray(), 0);
        var all = torch.zeros([collective.WorldSize, flat.shape[0]], torch.float64);
        collective.AllGather(flat, all);
        // Compare bit patterns, so even -0 versus 0 or different NaNs would count.
        var values = all.data<double>().ToArray();
        var count = (int)flat.shape[0];
        var differing = 0L;
        for (var i = count; i < values.Length; i++)
        {
            if (BitConverter.DoubleToInt64Bits(values[i]) != BitConverter.DoubleToInt64Bits(values[i % count]))
            {
                differing++;
            }
        }

        if (differing != 0)
        {
            throw new InvalidOperationException($"rank {collective.Rank}: {differing} parameter values differ between ranks after step {step}");
        }

        Console.WriteLine($"rank {collective.Rank}: replicas bitwise identical after step {step} ({flat.shape[0]} values)");
    }

    private static int Int(string text) => int.Parse(text, CultureInfo.InvariantCulture);

    private sealed class Progress(Action<int> afterStep) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => afterStep(value.Step);
    }
}
