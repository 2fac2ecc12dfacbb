using System.Globalization;
using TinyGpt.Distributed;
using TinyGpt.Distributed.Diagnostics;
using TinyGpt.Distributed.Launch;
using TinyGpt.Distributed.TestHost;
using TinyGpt.Training;
using TorchSharp;

// A console host that TinyGpt.Distributed.Tests starts under mpirun; each command exits non-zero on failure.
const string Usage = """
    usage: TinyGpt.Distributed.TestHost <command>
      env                          print the detected launch environment and the collective's view
      allreduce-demo               all-reduce each rank's rank + 1 and check the sum
      collectives-check [--chunk-bytes N]
                                   all-reduce (all dtypes, staged and async), broadcast, all-gather;
                                   with --chunk-bytes, tensors go to MPI in pieces of N bytes
      throw-on-rank N              rank N throws; the job must abort, not hang
      allreduce-bench BYTES [ITERATIONS]
                                   time raw float32 all-reduces of BYTES bytes
    """ + "\n" + TrainingRun.Usage;

if (args.Length == 0)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

// Several ranks share two cores in tests; one intra-op thread per rank avoids thrashing.
torch.set_num_threads(1);

using var collective = Collectives.Create();
return AbortOnFailure.Run(collective, () => args[0] switch
{
    "env" => PrintEnvironment(collective),
    "allreduce-demo" => AllReduceDemo(collective),
    "collectives-check" => CollectivesCheck.Run(collective, args[1..]),
    "throw-on-rank" => ThrowOnRank(collective, int.Parse(args[1], CultureInfo.InvariantCulture)),
    "train" => TrainingRun.Run(collective, args[1..]),
    "allreduce-bench" => AllReduceBench(collective, long.Parse(args[1], CultureInfo.InvariantCulture), args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100),
    _ => UnknownCommand(args[0]),
});

static int UnknownCommand(string command)
{
    Console.Error.WriteLine($"unknown command '{command}'");
    Console.Error.WriteLine(Usage);
    return 2;
}

static int PrintEnvironment(ICollective collective)
{
    Console.WriteLine($"launch: {LaunchEnvironment.Detect()}");
    Console.WriteLine($"collective: {collective.GetType().Name} rank {collective.Rank} of {collective.WorldSize}, local rank {collective.LocalRank}");
    return 0;
}

static int AllReduceDemo(ICollective collective)
{
    using var value = torch.full(4, TestScalars.Of(collective.Rank + 1), torch.float32);
    collective.AllReduceSum(value);
    var expected = collective.WorldSize * (collective.WorldSize + 1) / 2;
    var actual = value.data<float>().ToArray();
    Console.WriteLine($"rank {collective.Rank}: sum = {string.Join(", ", actual)} (expected {expected})");
    return actual.All(v => v == expected) ? 0 : 1;
}

static int AllReduceBench(ICollective collective, long bytes, int iterations)
{
    var measurement = AllReduceBenchmark.Measure(collective, bytes, iterations, warmupIterations: Math.Max(5, iterations / 10));
    if (collective.IsPrimary)
    {
        Console.WriteLine(
            $"all-reduce {measurement.Bytes} B x {measurement.Iterations} on {measurement.WorldSize} ranks: {measurement.TimePerOperation.TotalMicroseconds:0.0} us, " +
            $"algbw {measurement.AlgorithmBandwidth / 1e9:0.000} GB/s, busbw {measurement.BusBandwidth / 1e9:0.000} GB/s");
    }

    return 0;
}

static int ThrowOnRank(ICollective collective, int failingRank)
{
    collective.Barrier();
    if (collective.Rank == failingRank)
    {
        throw new InvalidOperationException($"injected failure on rank {failingRank}");
    }

    // The other ranks wait in a collective the failed rank never joins: only an abort ends them.
    using var tensor = torch.ones(8);
    collective.AllReduceSum(tensor);
    collective.Barrier();
    Console.WriteLine($"rank {collective.Rank} finished, which it must not");
    return 0;
}
