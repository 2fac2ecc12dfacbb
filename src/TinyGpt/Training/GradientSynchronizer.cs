using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Training;

/// <summary>
/// Averages gradients over all ranks the way DDP does: gradients are packed into flat buckets of
/// at most <c>bucketBytes</c>, each bucket's all-reduce starts as soon as it is packed (so packing
/// the next bucket overlaps with communication), and the averaged values are copied back.
/// </summary>
internal sealed class GradientSynchronizer
{
    private readonly ICollective _collective;
    private readonly List<Tensor[]> _buckets = [];

    public GradientSynchronizer(ICollective collective, IReadOnlyList<Tensor> parameters, long bucketBytes)
    {
        _collective = collective;
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketBytes, 1);
        var current = new List<Tensor>();
        long size = 0;
        // Buckets in reverse order of the parameters, as backward produces gradients last layer first.
        foreach (var parameter in parameters.Reverse())
        {
            var bytes = parameter.NumberOfElements * parameter.ElementSize;
            if (current.Count > 0 && size + bytes > bucketBytes)
            {
                _buckets.Add([.. current]);
                current.Clear();
                size = 0;
            }

            current.Add(parameter);
            size += bytes;
        }

        if (current.Count > 0)
        {
            _buckets.Add([.. current]);
        }
    }

    public int BucketCount => _buckets.Count;

    /// <summary>Bytes of gradients averaged per call: the parameters' total size.</summary>
    public long TotalBytes => _buckets.Sum(bucket => bucket.Sum(p => p.NumberOfElements * p.ElementSize));

    /// <summary>Wall time spent in <see cref="AverageGradients"/> so far (packing, all-reduces, waits and unpacking); for benchmarks.</summary>
    public TimeSpan Elapsed { get; private set; }

    /// <summary>Benchmarks only: a barrier before each averaging, so that <see cref="Elapsed"/> leaves out the wait for slower ranks (counted in <see cref="SkewElapsed"/>).</summary>
    public bool SeparateSkew { get; set; }

    /// <summary>Time spent in the barriers of <see cref="SeparateSkew"/>: waiting for the slowest rank to finish its backward pass.</summary>
    public TimeSpan SkewElapsed { get; private set; }

    /// <summary>Replaces every gradient by its mean over the ranks.</summary>
    public void AverageGradients()
    {
        if (_collective.WorldSize == 1)
        {
            return;
        }

        if (SeparateSkew)
        {
            var skew = Stopwatch.StartNew();
            _collective.Barrier();
            SkewElapsed += skew.Elapsed;
        }

        var watch = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var pending = new List<(Tensor Flat, Tensor[] Parameters, ICollectiveRequest Request)>();
        foreach (var bucket in _buckets)
        {
            var flat = cat(bucket.Select(p => (p.grad ?? zeros_like(p)).reshape(-1)).ToArray(), 0);
            pending.Add((flat, bucket, _collective.AllReduceSumAsync(flat)));
        }

        var scale = 1.0 / _collective.WorldSize;
        foreach (var (flat, parameters, request) in pending)
        {
            request.Wait();
            flat.mul_(scale);
            long offset = 0;
            foreach (var parameter in parameters)
            {
                var count = parameter.NumberOfElements;
                var averaged = flat.narrow(0, offset, count).view(parameter.shape);
                if (parameter.grad is null)
                {
                    parameter.grad = averaged.clone().DetachFromDisposeScope();
                }
                else
                {
                    parameter.grad.copy_(averaged);
                }

                offset += count;
            }
        }

        Elapsed += watch.Elapsed;
    }
}
