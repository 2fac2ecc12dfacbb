using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Training;

/// <summary>
/// Replaces every gradient by its mean over the ranks, as PyTorch DDP does: gradients live in flat
/// buckets of at most <c>bucketBytes</c> (last layers first, the order backward produces them),
/// each parameter's <c>.grad</c> is a view into its bucket (DDP's <c>gradient_as_bucket_view</c>),
/// and each bucket is summed by one blocking all-reduce in place, then scaled.
/// </summary>
/// <remarks>
/// Starting all buckets' all-reduces at once (non-blocking), or inside backward as each bucket
/// completes, measured slower here (1.36x and 0.98x the time of this): see docs/distributed.md.
/// </remarks>
internal sealed class GradientAverager : IDisposable
{
    private readonly ICollective _collective;
    private readonly List<Tensor[]> _buckets = [];
    private Tensor[]? _flats;

    /// <param name="collective">The ranks to average over.</param>
    /// <param name="parameters">The parameters, in the model's order.</param>
    /// <param name="bucketBytes">Largest bucket (a single larger parameter gets a bucket of its own).</param>
    public GradientAverager(ICollective collective, IReadOnlyList<Tensor> parameters, long bucketBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketBytes, 1);
        _collective = collective;
        var current = new List<Tensor>();
        long size = 0;
        for (var i = parameters.Count - 1; i >= 0; i--)
        {
            var bytes = parameters[i].NumberOfElements * parameters[i].ElementSize;
            if (current.Count > 0 && size + bytes > bucketBytes)
            {
                _buckets.Add([.. current]);
                (current, size) = ([], 0);
            }

            current.Add(parameters[i]);
            size += bytes;
        }

        if (current.Count > 0)
        {
            _buckets.Add([.. current]);
        }
    }

    public int BucketCount => _buckets.Count;

    /// <summary>The parameters of bucket <paramref name="index"/>, in the order they are packed.</summary>
    public IReadOnlyList<Tensor> BucketParameters(int index) => _buckets[index];

    /// <summary>Bytes of gradients averaged per call: the parameters' total size.</summary>
    public long TotalBytes => _buckets.Sum(bucket => bucket.Sum(p => p.NumberOfElements * p.ElementSize));

    /// <summary>Replaces every gradient by its mean over the ranks (nothing to do with one rank).</summary>
    public void Average()
    {
        if (_collective.WorldSize == 1)
        {
            return;
        }

        using var noGrad = no_grad();
        _flats ??= AttachBuckets();
        using var scale = (1.0 / _collective.WorldSize).ToScalar();
        foreach (var flat in _flats)
        {
            _collective.AllReduceSum(flat);
            flat.mul_(scale);
        }
    }

    public void Dispose()
    {
        foreach (var flat in _flats ?? [])
        {
            flat.Dispose();
        }
    }

    /// <summary>
    /// Packs each bucket's gradients into one flat tensor, once, and makes every parameter's
    /// <c>.grad</c> a view into it. Backward accumulates into existing gradients in place and the
    /// optimizer zeroes them in place, so from then on the buckets are all-reduced where they are.
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
                // The parameter keeps its own reference to the view; the wrapper made here goes with the scope.
                parameter.grad = flat.narrow(0, offset, count).view(parameter.shape);
                offset += count;
            }

            flats[i] = flat;
        }

        return flats;
    }
}
