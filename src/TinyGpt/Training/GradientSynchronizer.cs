using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Training;

/// <summary>
/// Averages gradients over all ranks the way DDP does: gradients are packed into flat buckets of
/// at most <c>bucketBytes</c>, and from the first step on the gradients are views into those
/// buckets, so the non-blocking all-reduces run on them in place (see <see cref="AttachBuckets"/>).
/// </summary>
internal sealed class GradientSynchronizer
{
    private readonly ICollective _collective;
    private readonly List<Tensor[]> _buckets = [];
    private Tensor[]? _flats;

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

    /// <summary>Start every bucket's all-reduce before waiting for any (for when backward-pass hooks can overlap them); blocking all-reduces, one bucket after another, otherwise.</summary>
    public bool NonBlocking { get; set; }

    /// <summary>Bytes of gradients averaged per call: the parameters' total size.</summary>
    public long TotalBytes => _buckets.Sum(bucket => bucket.Sum(p => p.NumberOfElements * p.ElementSize));

    /// <summary>Wall time spent in <see cref="AverageGradients"/> so far (the first call packs the buckets; every call all-reduces, waits and scales); for benchmarks.</summary>
    public TimeSpan Elapsed { get; private set; }

    /// <summary>Benchmarks only: a barrier before each averaging, so that <see cref="Elapsed"/> leaves out the wait for slower ranks (counted in <see cref="SkewElapsed"/>).</summary>
    public bool SeparateSkew { get; set; }

    /// <summary>Time spent in the barriers of <see cref="SeparateSkew"/>: waiting for the slowest rank to finish its backward pass.</summary>
    public TimeSpan SkewElapsed { get; private set; }

    /// <summary>
    /// Packs each bucket's gradients into one flat tensor, once, and makes every parameter's
    /// <c>.grad</c> a view into it (PyTorch DDP's <c>gradient_as_bucket_view</c>). Backward
    /// accumulates into existing gradients in place and the optimizer zeroes them in place, so
    /// from then on the buckets are all-reduced where they are: no packing, no copying back.
    /// </summary>
    private Tensor[] AttachBuckets()
    {
        var flats = new Tensor[_buckets.Count];
        for (var i = 0; i < _buckets.Count; i++)
        {
            using var scope = NewDisposeScope();
            var flat = cat(_buckets[i].Select(p => (p.grad ?? zeros_like(p)).reshape(-1)).ToArray(), 0).DetachFromDisposeScope();
            long offset = 0;
            foreach (var parameter in _buckets[i])
            {
                var count = parameter.NumberOfElements;
                parameter.grad = flat.narrow(0, offset, count).view(parameter.shape).DetachFromDisposeScope();
                offset += count;
            }

            flats[i] = flat;
        }

        return flats;
    }

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
        using var noGrad = no_grad();
        _flats ??= AttachBuckets();
        // Without hooks in the backward pass every bucket is ready at the same moment, so nothing
        // can overlap; measured here, Open MPI's non-blocking all-reduce of the buckets took 1.9x a
        // raw all-reduce of the same bytes and blocking ones 1.3x (docs/distributed.md).
        if (!NonBlocking)
        {
            foreach (var flat in _flats)
            {
                _collective.AllReduceSum(flat);
            }
        }

        var requests = NonBlocking ? _flats.Select(flat => _collective.AllReduceSumAsync(flat)).ToArray() : [];
        var scale = 1.0 / _collective.WorldSize;
        for (var i = 0; i < _flats.Length; i++)
        {
            if (NonBlocking)
            {
                requests[i].Wait();
            }

            _flats[i].mul_(scale);
        }

        Elapsed += watch.Elapsed;
    }
}
