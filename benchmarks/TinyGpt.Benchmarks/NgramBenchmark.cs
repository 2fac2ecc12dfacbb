using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TinyGpt.Ngrams;
using TinyGpt.Runs;
using TinyGpt.Training;

namespace TinyGpt.Benchmarks;

/// <summary>
/// A classical baseline to judge a trained model by: interpolated Kneser-Ney n-gram models counted on a
/// prepared run's training split and scored on its evaluation split (or another), alone and mixed with
/// a unigram cache of the last L scored tokens, p = (1 - λ) p_KN + λ count_cache(w) / |cache|. Loss,
/// token and word perplexity and bits per byte are computed as the library's evaluation computes them.
/// usage: ngram --run DIR [--split NAME] [--orders 2,3,4] [--json] [--check]
/// </summary>
internal static class NgramBenchmark
{
    private const double Discount = 0.75;

    private static readonly (int Length, double Weight)[] CacheSettings = [(0, 0), (500, 0.1), (2000, 0.2)];

    public static int Run(string[] args)
    {
        var options = new BenchmarkArguments(args);
        if (options.Get("run") is not { } runPath)
        {
            Console.Error.WriteLine("usage: ngram --run DIR [--split NAME] [--orders 2,3,4] [--json] [--check]");
            return 2;
        }

        var orders = (options.Get("orders") ?? "2,3,4").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(o => int.Parse(o, CultureInfo.InvariantCulture)).Distinct().Order().ToArray();
        var json = options.Has("json");

        using var run = RunFolder.Open(runPath);
        var vocabSize = run.Manifest.VocabSize;
        if (orders.Length == 0 || orders[0] < 1 || orders[^1] > KneserNeyModel.LargestOrder(vocabSize))
        {
            Console.Error.WriteLine($"--orders must list orders from 1 to {KneserNeyModel.LargestOrder(vocabSize)} (the largest whose keys fit 64 bits with {vocabSize:N0} token ids).");
            return 2;
        }

        var trainSplit = run.Manifest.TrainSplit;
        var split = run.GetSplit(options.Get("split") ?? run.Manifest.EvalSplit);
        var watch = Stopwatch.StartNew();
        var train = KneserNeyModel.ReadAll(run.OpenTokens(trainSplit));
        var test = KneserNeyModel.ReadAll(run.OpenTokens(split.Name));
        var model = KneserNeyModel.Train(train, vocabSize, orders[^1], Discount);
        var countSeconds = watch.Elapsed.TotalSeconds;

        var rows = new List<Row>();
        double scoreSeconds = 0;
        foreach (var order in orders)
        {
            watch.Restart();
            var probabilities = model.ScoreSequence(test, order);
            scoreSeconds += watch.Elapsed.TotalSeconds;
            foreach (var (length, weight) in CacheSettings)
            {
                var nats = TotalNats(test, probabilities, length, weight, vocabSize);
                rows.Add(new Row(order, length, weight, EvaluationResult.FromTotals(nats, probabilities.Length, split.Bytes, split.Words)));
            }
        }

        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                run = run.Path,
                train_split = trainSplit,
                train_tokens = train.Length,
                split = split.Name,
                vocab_size = vocabSize,
                discount = Discount,
                count_seconds = countSeconds,
                score_seconds = scoreSeconds,
                results = rows.Select(r => new
                {
                    order = r.Order,
                    cache_length = r.CacheLength,
                    cache_weight = r.CacheWeight,
                    loss = r.Result.Loss,
                    token_perplexity = r.Result.TokenPerplexity,
                    word_perplexity = r.Result.WordPerplexity,
                    bits_per_byte = r.Result.BitsPerByte,
                    tokens = r.Result.Tokens,
                    words = r.Result.Words,
                    bytes = r.Result.Bytes,
                }),
            }));
            Check(options, model, test, orders, Console.Error);
            return 0;
        }

        Console.WriteLine($"Interpolated Kneser-Ney (D = {Discount}) on {run.Path}: counted on '{trainSplit}' ({train.Length:N0} tokens, vocab {vocabSize:N0}), scored on '{split.Name}' ({test.Length - 1:N0} tokens scored, {split.Words:N0} words, {split.Bytes:N0} bytes)");
        Console.WriteLine($"n-gram types by order: {string.Join(", ", model.NgramTypes.Select((t, i) => $"{i + 1}: {t:N0}"))}; counting {countSeconds:F2} s, scoring {scoreSeconds:F2} s");
        if (split.Name == trainSplit)
        {
            Console.WriteLine("note: the scored split is the training split, so these numbers measure memorisation, not generalisation");
        }

        Console.WriteLine();
        Console.WriteLine("| order | unigram cache | loss (nats/token) | token ppl | word ppl | bits/byte |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            var cache = row.CacheLength == 0 ? "none" : $"L={row.CacheLength} λ={row.CacheWeight:0.##}";
            Console.WriteLine($"| {row.Order} | {cache} | {row.Result.Loss:F4} | {row.Result.TokenPerplexity:F2} | {Format(row.Result.WordPerplexity, "N2")} | {Format(row.Result.BitsPerByte, "F4")} |");
        }

        Check(options, model, test, orders, Console.Out);
        return 0;
    }

    /// <summary>With <c>--check</c>: how far p(. | h) is from summing to 1 over the vocabulary, for contexts of the scored split.</summary>
    private static void Check(BenchmarkArguments options, KneserNeyModel model, long[] tokens, int[] orders, TextWriter output)
    {
        if (!options.Has("check"))
        {
            return;
        }

        output.WriteLine();
        foreach (var order in orders)
        {
            var error = model.NormalisationError(tokens, order, 20);
            output.WriteLine($"check, order {order}: max |1 - sum over the vocabulary of p(w | h)| for 20 contexts: {error.ToString("0.0e+0", CultureInfo.InvariantCulture)}");
        }
    }

    /// <summary>
    /// Summed -log p over the scored tokens (tokens[1..]), the n-gram's p mixed with a unigram cache of
    /// the up to <paramref name="length"/> tokens scored before; an empty cache contributes 0.
    /// </summary>
    private static double TotalNats(long[] tokens, double[] probabilities, int length, double weight, int vocabSize)
    {
        double nats = 0;
        if (length == 0)
        {
            foreach (var p in probabilities)
            {
                nats -= Math.Log(p);
            }

            return nats;
        }

        var counts = new int[vocabSize];
        var held = 0;
        for (var i = 1; i < tokens.Length; i++)
        {
            var token = tokens[i];
            var cached = held == 0 ? 0 : (double)counts[token] / held;
            nats -= Math.Log(((1 - weight) * probabilities[i - 1]) + (weight * cached));
            counts[token]++;
            if (held == length)
            {
                counts[tokens[i - length]]--; // the oldest scored token leaves the cache
            }
            else
            {
                held++;
            }
        }

        return nats;
    }

    private static string Format(double? value, string format) => value?.ToString(format, CultureInfo.InvariantCulture) ?? "n/a";

    private sealed record Row(int Order, int CacheLength, double CacheWeight, EvaluationResult Result);
}
