using System.Diagnostics;
using System.Text;
using System.Text.Json;
using TinyGpt.Tokenization;

namespace TinyGpt.Benchmarks;

/// <summary>
/// Times TinyGpt's BPE trainer against Hugging Face tokenizers (Rust, through its Node binding) on the
/// same files in the same run, and compares compression as tokens per whitespace-separated word.
/// usage: tokenizer [--data DIR] [--node PATH]   (DIR holds wiki.valid.raw and wiki.test.raw)
/// </summary>
internal static class TokenizerBenchmark
{
    private const int HfDefaultVocabSize = 30_000;
    private const int TinyGptVocabSize = 16_000;

    public static int Run(string[] args)
    {
        string dataDir = Option(args, "--data") ?? Environment.GetEnvironmentVariable("TINYGPT_WIKITEXT_RAW") ?? "/work/shared/data/wikitext-2-raw";
        string node = Option(args, "--node") ?? "node";
        string[] files = [Path.Combine(dataDir, "wiki.valid.raw"), Path.Combine(dataDir, "wiki.test.raw")];
        foreach (string file in files)
        {
            if (!File.Exists(file))
            {
                Console.Error.WriteLine($"'{file}' not found; pass --data with a folder holding wiki.valid.raw and wiki.test.raw (WikiText-2 raw).");
                return 1;
            }
        }

        string[] texts = [.. files.Select(f => File.ReadAllText(f, Encoding.UTF8))];
        long words = texts.Sum(CountWords);
        long chars = texts.Sum(t => (long)t.Length);
        Console.WriteLine($"corpus: {string.Join(" + ", files.Select(Path.GetFileName))}: {chars:N0} chars, {words:N0} whitespace-separated words, {Environment.ProcessorCount} cores");

        // Hugging Face's defaults through the Node binding: vocab 30,000, every pair may merge.
        var sameAsHf = new BpeTrainerOptions { VocabSize = HfDefaultVocabSize, MinFrequency = 0 };
        _ = new BpeTrainer(sameAsHf).TrainFromFiles(files); // warm-up: JIT and file cache
        var (ours30k, oursSeconds) = TimeBest(() => new BpeTrainer(sameAsHf).TrainFromFiles(files), 3);
        var tokenizer30k = new BpeTextTokenizer(ours30k);
        var (ours30kTokens, ours30kHash) = EncodeAll(tokenizer30k, texts);
        Console.WriteLine($"TinyGpt  vocab {ours30k.Tokens.Count,6:N0}: train {oursSeconds:F3} s (best of 3), {Ratio(ours30kTokens, words):F4} tokens/word");

        string dir = Path.Combine(Path.GetTempPath(), "tinygpt-tokenizer-benchmark");
        ours30k.Save(dir);

        string? script = FindHfScript();
        HfResult? hf = script is null ? null : BestOf(Enumerable.Range(0, 3).Select(_ => RunNode(node, script, files)));
        if (hf is not null)
        {
            Console.WriteLine($"HF       vocab {hf.VocabSize,6:N0}: train {hf.Seconds:F3} s (best of 3), {Ratio(hf.Tokens, words):F4} tokens/word");
            Console.WriteLine($"ratio TinyGpt/HF training time: {oursSeconds / hf.Seconds!.Value:F2}x; tokens/word: {(double)ours30kTokens / hf.Tokens:F4}x");
            HfResult? check = RunNode(node, script!, ["--check", Path.Combine(dir, BpeVocabulary.TokenizerJsonFileName), .. files]);
            if (check is not null)
            {
                bool same = check.Tokens == ours30kTokens && check.IdsHash == ours30kHash;
                Console.WriteLine($"HF loading TinyGpt's tokenizer.json gives {(same ? "the same ids" : $"DIFFERENT ids ({check.Tokens:N0} tokens vs {ours30kTokens:N0})")}");
            }
        }
        else
        {
            Console.WriteLine("HF: skipped (needs node and `npm install` in benchmarks/tokenizer-hf)");
        }

        var (ours16k, seconds16k) = TimeBest(() => new BpeTrainer(new BpeTrainerOptions { VocabSize = TinyGptVocabSize }).TrainFromFiles(files), 3);
        var tokenizer16k = new BpeTextTokenizer(ours16k);
        var encodeWatch = Stopwatch.StartNew();
        var (ours16kTokens, _) = EncodeAll(tokenizer16k, texts);
        double encodeSeconds = encodeWatch.Elapsed.TotalSeconds;
        Console.WriteLine($"TinyGpt  vocab {ours16k.Tokens.Count,6:N0} (min frequency 2): train {seconds16k:F3} s, {Ratio(ours16kTokens, words):F4} tokens/word; encode (cold cache) {chars / encodeSeconds / 1e6:F1} M chars/s");

        // Scaling: the same settings on a quarter, half and all of the corpus.
        string all = string.Concat(texts);
        var scaling = new List<string>();
        foreach (int part in new[] { 4, 2, 1 })
        {
            string[] slice = [all[..(all.Length / part)]];
            var (_, seconds) = TimeBest(() => new BpeTrainer(new BpeTrainerOptions { VocabSize = TinyGptVocabSize }).Train(slice), 3);
            scaling.Add($"{slice[0].Length / 1e6:F1} M chars {seconds:F3} s");
        }

        Console.WriteLine($"TinyGpt  vocab 16,000 scaling: {string.Join(", ", scaling)}");
        return 0;
    }

    private static (T Result, double Seconds) TimeBest<T>(Func<T> action, int repeats)
    {
        T result = default!;
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            result = action();
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }

        return (result, best);
    }

    // Same hash as train.mjs (FNV-1a over ids), to compare Hugging Face's ids with ours.
    private static (long Tokens, uint Hash) EncodeAll(ITextTokenizer tokenizer, string[] texts)
    {
        long tokens = 0;
        uint hash = 2166136261;
        foreach (string text in texts)
        {
            foreach (int id in tokenizer.Encode(text))
            {
                tokens++;
                hash = unchecked((hash ^ (uint)id) * 16777619);
            }
        }

        return (tokens, hash);
    }

    private static long CountWords(string text)
    {
        long count = 0;
        bool inWord = false;
        foreach (char c in text)
        {
            bool space = char.IsWhiteSpace(c);
            if (!space && !inWord)
            {
                count++;
            }

            inWord = !space;
        }

        return count;
    }

    private static double Ratio(long tokens, long words) => (double)tokens / words;

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string? FindHfScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "benchmarks", "tokenizer-hf");
            if (File.Exists(Path.Combine(candidate, "train.mjs")))
            {
                return Directory.Exists(Path.Combine(candidate, "node_modules", "tokenizers")) ? Path.Combine(candidate, "train.mjs") : null;
            }
        }

        return null;
    }

    private static HfResult? BestOf(IEnumerable<HfResult?> runs)
    {
        HfResult? best = null;
        foreach (HfResult? run in runs)
        {
            if (run is null)
            {
                return null;
            }

            if (best is null || run.Seconds < best.Seconds)
            {
                best = run;
            }
        }

        return best;
    }

    private static HfResult? RunNode(string node, string script, string[] arguments)
    {
        var start = new ProcessStartInfo(node) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using Process process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd();
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                Console.WriteLine($"HF: node failed ({process.ExitCode}): {error.Trim()}");
                return null;
            }

            string line = output.Trim().Split('\n')[^1];
            return JsonSerializer.Deserialize<HfResult>(line, new JsonSerializerOptions { PropertyNameCaseInsensitive = true });
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.WriteLine($"HF: could not start '{node}': {e.Message}");
            return null;
        }
    }

    private sealed record HfResult(double? Seconds, int VocabSize, long Tokens, uint IdsHash);
}
