using System.Globalization;
using TinyGpt.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Benchmarks;

/// <summary>
/// The weight products of one seed-preset decoding step alone (17 matrices, 84 MB of fp32), for
/// 1-16 rows: <c>linear</c> on the module weights, <c>addmm</c> on transposed copies (the layout
/// before the row product) and <see cref="RowProduct"/> on packed copies, three interleaved rounds,
/// with the bytes per second each reads.
/// </summary>
internal static class ProductBenchmark
{
    public static int Run(string[] args)
    {
        var options = new BenchmarkArguments(args);
        var threads = options.Int("threads", Environment.ProcessorCount);
        var rowCounts = (options.Get("rows") ?? "1,2,4,8,16").Split(',').Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToArray();
        torch.set_num_threads(threads);
        torch.manual_seed(1);
        var presetName = options.Get("preset") ?? "seed";
        var config = presetName switch
        {
            "seed" => GptConfig.Seed,
            "tiny" => GptConfig.Tiny with { VocabSize = 8_000 }, // the main job's vocabulary
            _ => throw new ArgumentException($"--preset takes seed or tiny, not '{presetName}'."),
        };
        int[][] shapes = [[3 * config.EmbeddingSize, config.EmbeddingSize], [config.EmbeddingSize, config.EmbeddingSize], [config.HiddenSize, config.EmbeddingSize], [config.EmbeddingSize, config.HiddenSize]];
        var weights = new List<Tensor>();
        var biases = new List<Tensor?>();
        for (var layer = 0; layer < config.LayerCount; layer++)
        {
            foreach (var shape in shapes)
            {
                weights.Add(randn(shape[0], shape[1]));
                biases.Add(randn(shape[0]));
            }
        }

        weights.Add(randn(config.VocabSize, config.EmbeddingSize));
        biases.Add(null);
        var transposed = weights.Select(w => w.t().contiguous()).ToList();
        var packed = weights.Select(RowProduct.Pack).ToList();
        var bytes = weights.Sum(w => w.NumberOfElements * 4.0);

        Console.WriteLine($"TinyGpt product benchmark: the {weights.Count} weight products of one {presetName}-preset step ({bytes / 1e6:F1} MB fp32), {threads} threads, 3 interleaved rounds (ms per step, GB/s read)");
        Console.WriteLine();
        Console.WriteLine("| rows | round | linear (module weights) | addmm (transposed copies) | row product (packed copies) | row product / linear | row product GB/s |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var rows in rowCounts)
        {
            var inputs = weights.Select(w => randn(rows, w.shape[1])).ToList();
            for (var round = 1; round <= 3; round++)
            {
                var linear = Time(i => nn.functional.linear(inputs[i], weights[i], biases[i]), weights.Count);
                var addmm = Time(i => biases[i] is { } b ? b.addmm(inputs[i], transposed[i]) : inputs[i].matmul(transposed[i]), weights.Count);
                var row = rows <= RowProduct.MaxRows ? Time(i => RowProduct.Multiply(inputs[i], packed[i], weights[i].shape[0], biases[i], threads), weights.Count) : double.NaN;
                Console.WriteLine($"| {rows} | {round} | {linear:F2} | {addmm:F2} | {row:F2} | {linear / row:F2}x | {bytes / (row / 1e3) / 1e9:F1} |");
            }

            inputs.ForEach(t => t.Dispose());
        }

        return 0;
    }

    // Milliseconds for all products once, over at least half a second after one warm-up pass.
    private static double Time(Func<int, Tensor> product, int count) => PassTimer.Milliseconds(
        () =>
        {
            for (var i = 0; i < count; i++)
            {
                product(i).Dispose();
            }
        },
        500);
}
