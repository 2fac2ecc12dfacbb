// Benchmarks print numbers and ratios measured in the same run; they assert nothing.
// Usage: dotnet run -c Release --project benchmarks/TinyGpt.Benchmarks -- <model|tokenizer|train> [options]
using TinyGpt.Benchmarks;

var command = args.Length > 0 ? args[0] : "model";
var rest = args.Skip(1).ToArray();
return command switch
{
    "model" => ModelBenchmark.Run(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: TinyGpt.Benchmarks <model> [options]");
    return 2;
}
