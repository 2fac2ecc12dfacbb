using System.Globalization;
using TinyGpt.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Benchmarks;

/// <summary>
/// The attention of one seed-preset decoding step alone (every layer, one new token per row), for
/// several rows and cached lengths: <see cref="DecodeAttention"/>'s register kernel against its
/// portable one (a <c>TensorPrimitives</c> call per position), three interleaved rounds, on one
/// thread as the serving loop runs it for short rows; prints the largest difference between the two.
/// </summary>
internal static class AttentionBenchmark
{
    public static int Run(string[] args)
    {
        var options = new BenchmarkArguments(args);
        var rowCounts = (options.Get("rows") ?? "1,8,16").Split(',').Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToArray();
        var lengths = (options.Get("lengths") ?? "70,256").Split(',').Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToArray();
        var threads = options.Int("threads", 1);
        var config = GptConfig.Seed;
        var headSize = config.EmbeddingSize / config.HeadCount;
        var scale = 1 / Math.Sqrt(headSize);
        torch.manual_seed(1);
        Console.WriteLine($"TinyGpt attention benchmark: seed preset ({config.LayerCount} layers, {config.HeadCount} heads of {headSize}), {threads} thread(s); register kernel {(DecodeAttention.UsesRegisters(headSize) ? "available" : "NOT available on this CPU: both columns are the portable kernel")}; ms per step, 3 interleaved rounds");
        Console.WriteLine();
        Console.WriteLine("| rows | cached positions | round | portable (ms) | registers (ms) | portable / registers | largest difference |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var rows in rowCounts)
        {
            foreach (var length in lengths)
            {
                using var keys = randn(rows, config.HeadCount, config.ContextLength, headSize);
                using var values = randn(rows, config.HeadCount, config.ContextLength, headSize);
                using var qkv = randn(rows, 1, 3 * config.EmbeddingSize);
                var filled = Enumerable.Repeat(length, rows).ToArray();
                float difference;
                using (var portable = DecodeAttention.Step(qkv, keys, values, filled, config.HeadCount, scale, threads, registers: false))
                using (var registers = DecodeAttention.Step(qkv, keys, values, filled, config.HeadCount, scale, threads, registers: true))
                {
                    difference = portable.sub(registers).abs().max().item<float>();
                }

                for (var round = 1; round <= 3; round++)
                {
                    var slow = Time(() => DecodeAttention.Step(qkv, keys, values, filled, config.HeadCount, scale, threads, registers: false), config.LayerCount);
                    var fast = Time(() => DecodeAttention.Step(qkv, keys, values, filled, config.HeadCount, scale, threads, registers: true), config.LayerCount);
                    Console.WriteLine($"| {rows} | {length} | {round} | {slow:F3} | {fast:F3} | {slow / fast:F2}x | {difference:E1} |");
                }
            }
        }

        return 0;
    }

    // Milliseconds for one step (every layer), over at least a third of a second after a warm-up.
    private static double Time(Func<Tensor> layer, int layers) => PassTimer.Milliseconds(() => layer().Dispose(), 333) * layers;
}
