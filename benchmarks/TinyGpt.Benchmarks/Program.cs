// Benchmarks print numbers and ratios measured in the same run; they assert nothing.
// Usage: dotnet run -c Release --project benchmarks/TinyGpt.Benchmarks -- <model|attention|products|serve|tokenizer|train|ddp|ngram|soak> [options]
using TinyGpt.Benchmarks;

return args.Length == 0 ? Usage() : args[0] switch
{
    "model" => ModelBenchmark.Run(args[1..]),
    "attention" => AttentionBenchmark.Run(args[1..]),
    "products" => ProductBenchmark.Run(args[1..]),
    "serve" => ServeBenchmark.Run(args[1..]),
    "tokenizer" => TokenizerBenchmark.Run(args[1..]),
    "train" => TrainingBenchmark.Run(args[1..]),
    "ddp" => DdpBenchmark.Run(args[1..]),
    "ngram" => NgramBenchmark.Run(args[1..]),
    "soak" => SoakBenchmark.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: TinyGpt.Benchmarks <benchmark> [options]   benchmarks: model, attention, products, serve, tokenizer, train, ddp, ngram, soak");
    return 2;
}
