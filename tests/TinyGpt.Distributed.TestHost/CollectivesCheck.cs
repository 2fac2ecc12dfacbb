using TinyGpt.Distributed.Mpi;
using TinyGpt.Torch;
using TinyGpt.Training;
using TorchSharp;

namespace TinyGpt.Distributed.TestHost;

/// <summary>Exercises every ICollective operation on real tensors; prints PASS/FAIL lines and returns the exit code.</summary>
internal static class CollectivesCheck
{
    public static int Run(ICollective collective, string[] options)
    {
        if (options is ["--chunk-bytes", var chunkBytes])
        {
            HostBuffer.MaxChunkBytes = long.Parse(chunkBytes, System.Globalization.CultureInfo.InvariantCulture);
        }
        else if (options.Length > 0)
        {
            throw new ArgumentException($"unknown collectives-check options '{string.Join(' ', options)}'");
        }

        var failures = 0;
        void Check(string name, Func<string?> body)
        {
            string? problem;
            try
            {
                problem = body();
            }
#pragma warning disable CA1031 // A failed check is reported, not rethrown, so all checks run.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                problem = ex.ToString();
            }

            Console.WriteLine(problem is null ? $"PASS rank {collective.Rank} {name}" : $"FAIL rank {collective.Rank} {name}: {problem}");
            failures += problem is null ? 0 : 1;
        }

        int n = collective.WorldSize, r = collective.Rank;
        double sumOfFactors = n * (n + 1) / 2.0;

        foreach (var type in new[]
                 {
                     torch.ScalarType.Float32, torch.ScalarType.Float64, torch.ScalarType.Int32, torch.ScalarType.Int64,
                     torch.ScalarType.Int16, torch.ScalarType.Int8, torch.ScalarType.Byte, torch.ScalarType.Float16, torch.ScalarType.BFloat16,
                 })
        {
            Check($"all-reduce {type}", () =>
            {
                using var scope = torch.NewDisposeScope();
                var pattern = OwnedScalars.Arange(0, 1000).remainder(TestScalars.Of(5)).add(OwnedScalars.One, OwnedScalars.One);
                var tensor = pattern.mul(TestScalars.Of(r + 1)).to_type(type);
                collective.AllReduceSum(tensor);
                var expected = pattern.to_type(torch.float64).mul(TestScalars.Of(sumOfFactors));
                return Same(tensor.to_type(torch.float64), expected) ? null : $"got {Describe(tensor)}";
            });
        }

        Check("all-reduce non-contiguous view (staged)", () =>
        {
            using var scope = torch.NewDisposeScope();
            var matrix = OwnedScalars.Arange(0, 12).to_type(torch.float32).reshape(3, 4).add(TestScalars.Of(r), OwnedScalars.One);
            var transposed = matrix.t();
            collective.AllReduceSum(transposed);
            var expected = OwnedScalars.Arange(0, 12).to_type(torch.float32).reshape(3, 4).mul(TestScalars.Of(n)).add(TestScalars.Of(n * (n - 1) / 2.0), OwnedScalars.One);
            return Same(matrix, expected) ? null : $"got {Describe(matrix)}";
        });

        Check("async all-reduce, two outstanding", () =>
        {
            using var scope = torch.NewDisposeScope();
            var first = torch.full(1 << 16, TestScalars.Of(r + 1), torch.float32);
            var second = torch.full(3, TestScalars.Of((double)(r + 1)), torch.float16);
            var firstRequest = collective.AllReduceSumAsync(first);
            var secondRequest = collective.AllReduceSumAsync(second);
            secondRequest.Wait();
            firstRequest.Wait();
            firstRequest.Wait(); // a second Wait is allowed
            var ok = first.eq(TestScalars.Of(sumOfFactors)).all().item<bool>() && second.to_type(torch.float32).eq(TestScalars.Of(sumOfFactors)).all().item<bool>();
            return ok ? null : $"got {Describe(first.narrow(0, 0, 4))} and {Describe(second)}";
        });

        Check("broadcast from the last rank", () =>
        {
            using var scope = torch.NewDisposeScope();
            var root = n - 1;
            var tensor = r == root ? OwnedScalars.Arange(0, 10).mul(TestScalars.Of(7)) : torch.zeros(10, torch.int64);
            collective.Broadcast(tensor, root);
            return Same(tensor, OwnedScalars.Arange(0, 10).mul(TestScalars.Of(7))) ? null : $"got {Describe(tensor)}";
        });

        Check("broadcast bfloat16", () =>
        {
            using var scope = torch.NewDisposeScope();
            var tensor = r == 0 ? torch.full(5, TestScalars.Of(1.5), torch.bfloat16) : torch.zeros(5, torch.bfloat16);
            collective.Broadcast(tensor);
            return tensor.to_type(torch.float32).eq(TestScalars.Of(1.5)).all().item<bool>() ? null : $"got {Describe(tensor)}";
        });

        Check("all-gather, ordered by rank", () =>
        {
            using var scope = torch.NewDisposeScope();
            var input = torch.full(new long[] { 2, 3 }, TestScalars.Of(r), torch.int32);
            var output = torch.empty(new long[] { 2 * n, 3 }, torch.int32);
            collective.AllGather(input, output);
            var expected = OwnedScalars.Arange(0, n).to_type(torch.int32).repeat_interleave(6).reshape(2 * n, 3);
            return Same(output, expected) ? null : $"got {Describe(output)}";
        });

        Check("all-gather rejects a wrong output size", () =>
        {
            using var scope = torch.NewDisposeScope();
            var input = torch.ones(4);
            var output = torch.empty((4 * n) + 1);
            try
            {
                collective.AllGather(input, output);
                return "no exception";
            }
            catch (ArgumentException ex) when (ex.Message.Contains("needs", StringComparison.Ordinal))
            {
                return null;
            }
        });

        Check("all-reduce rejects bool with a clear message", () =>
        {
            using var scope = torch.NewDisposeScope();
            try
            {
                collective.AllReduceSum(torch.ones(3, torch.@bool));
                return collective.WorldSize == 1 ? null : "no exception";
            }
            catch (ArgumentException ex) when (ex.Message.Contains("Convert", StringComparison.Ordinal))
            {
                return null;
            }
        });

        // .NET raises NullReferenceException from SIGSEGV; MPI and UCX must not have taken that signal.
        Check("null reference still throws after MPI_Init", () =>
        {
            object? nothing = Environment.GetEnvironmentVariable("TINYGPT_TEST_UNSET_VARIABLE_FOR_NULL_CHECK");
            try
            {
                _ = nothing!.GetHashCode();
                return "no exception";
            }
            catch (NullReferenceException)
            {
                return null;
            }
        });

        if (collective is MpiCollective)
        {
            // MPI_ERRORS_RETURN is set on MPI_COMM_WORLD, so a bad call returns a code instead of killing the job.
            Check("an MPI error becomes an MpiException with MPI's error text", () =>
            {
                var library = MpiLibrary.Load(Environment.GetEnvironmentVariable); // the same handle the collective uses
                var returnCode = library.CommRank(0, out _); // a null communicator
                try
                {
                    library.Check(returnCode, "MPI_Comm_rank");
                    return $"no exception (return code {returnCode})";
                }
                catch (MpiException ex) when (ex.ErrorCode == returnCode && ex.Message.Contains("MPI_Comm_rank failed with MPI error", StringComparison.Ordinal)
                                              && ex.Message.Contains("communicator", StringComparison.OrdinalIgnoreCase))
                {
                    return null;
                }
            });
        }

        collective.Barrier();
        Console.WriteLine($"rank {r}: {failures} failure(s)");
        return failures == 0 ? 0 : 1;
    }

    private static bool Same(torch.Tensor actual, torch.Tensor expected) =>
        actual.shape.SequenceEqual(expected.shape) && actual.eq(expected).all().item<bool>();

    private static string Describe(torch.Tensor tensor) =>
        string.Join(", ", tensor.to_type(torch.float64).flatten().data<double>().ToArray().Take(12));
}
