using TinyGpt.Benchmarks;

// Each benchmark lives in its own class; the first argument picks one.
return args.Length == 0 ? Usage() : args[0] switch
{
    "tokenizer" => TokenizerBenchmark.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: TinyGpt.Benchmarks <benchmark> [options]   benchmarks: tokenizer");
    return 2;
}
