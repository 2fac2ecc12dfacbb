using System.Diagnostics;
using TinyGpt.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Training;

/// <summary>
/// Averages gradients over all ranks the way DDP does: gradients are packed into flat buckets of
/// at most <c>bucketBytes</c>, and from the first step on the gradients are views into those
/// buckets, so the all-reduces run on them in place (see <see cref="AttachBuckets"/>). With
/// overlap, each bucket's all-reduce starts inside the backward pass as soon as its gradients are
/// complete (see <see cref="ArmOverlap"/>).
/// </summary>
internal sealed class GradientSynchronizer : IBlockBackwardObserver
{
    private readonly ICollective _collective;
    private readonly List<Tensor[]> _buckets = [];

    // Per bucket: the block after whose backward all its gradients are complete; null when only the end of backward completes them.
    private readonly List<int?> _completeAfterBlock = [];
    private readonly List<ICollectiveRequest> _requests = [];
    private Tensor[]? _flats;
    private bool _armed;
    private Exception? _backwardFailure;

    /// <summary>Lays out the buckets.</summary>
    /// <param name="collective">The ranks to average over.</param>
    /// <param name="parameters">The parameters, in the model's order.</param>
    /// <param name="bucketBytes">Largest bucket (a single larger parameter gets a bucket of its own).</param>
    /// <param name="completeAfterBlock">
    /// For overlap: per parameter, the block after whose backward its gradient is complete, or null
    /// when only the end of backward completes it (<see cref="GptModel.GradientCompleteAfterBlock"/>).
    /// Buckets then also end where that block changes, so that no bucket waits for a later block.
    /// Null turns overlap off.
    /// </param>
    public GradientSynchronizer(ICollective collective, IReadOnlyList<Tensor> parameters, long bucketBytes, IReadOnlyList<int?>? completeAfterBlock = null)
    {
        _collective = collective;
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketBytes, 1);
        if (completeAfterBlock is not null && completeAfterBlock.Count != parameters.Count)
        {
            throw new ArgumentException($"Expected one block per parameter ({parameters.Count}); got {completeAfterBlock.Count}.", nameof(completeAfterBlock));
        }

        Overlaps = completeAfterBlock is not null;
        var current = new List<Tensor>();
        int? currentBlock = null;
        long size = 0;
        // Buckets in reverse order of the parameters, as backward produces gradients last layer first.
        for (var i = parameters.Count - 1; i >= 0; i--)
        {
            var parameter = parameters[i];
            var block = completeAfterBlock?[i];
            var bytes = parameter.NumberOfElements * parameter.ElementSize;
            if (current.Count > 0 && (size + bytes > bucketBytes || block != currentBlock))
            {
                AddBucket(current, currentBlock);
                size = 0;
            }

            current.Add(parameter);
            currentBlock = block;
            size += bytes;
        }

        if (current.Count > 0)
        {
            AddBucket(current, currentBlock);
        }
    }

    public int BucketCount => _buckets.Count;

    /// <summary>Per bucket, in the order they are all-reduced: the block after whose backward its gradients are complete (null: at the end of backward, or without overlap).</summary>
    public IReadOnlyList<int?> BucketCompleteAfterBlock => _completeAfterBlock;

    /// <summary>The parameters of bucket <paramref name="index"/>.</summary>
    public IReadOnlyList<Tensor> BucketParameters(int index) => _buckets[index];

    /// <summary>Whether the buckets were laid out for overlap with the backward pass.</summary>
    public bool Overlaps { get; }

    /// <summary>Start every bucket's all-reduce before waiting for any; blocking all-reduces, one bucket after another, otherwise. Not used by an armed overlapped backward, which is always non-blocking.</summary>
    public bool NonBlocking { get; set; }

    /// <summary>Bytes of gradients averaged per call: the parameters' total size.</summary>
    public long TotalBytes => _buckets.Sum(bucket => bucket.Sum(p => p.NumberOfElements * p.ElementSize));

    /// <summary>Wall time spent in <see cref="AverageGradients"/> so far (the first call packs the buckets; every call all-reduces or waits, and scales); for benchmarks.</summary>
    public TimeSpan Elapsed { get; private set; }

    /// <summary>Wall time spent inside backward passes starting all-reduces (overlap only); for benchmarks.</summary>
    public TimeSpan BackwardElapsed { get; private set; }

    /// <summary>Bucket all-reduces started so far, inside backward passes or after them.</summary>
    public int BucketsStarted { get; private set; }

    /// <summary>Bucket all-reduces started so far inside backward passes (overlap only).</summary>
    public int BucketsStartedInBackward { get; private set; }

    /// <summary>Benchmarks only: a barrier before each averaging, so that <see cref="Elapsed"/> leaves out the wait for slower ranks (counted in <see cref="SkewElapsed"/>).</summary>
    public bool SeparateSkew { get; set; }

    /// <summary>Time spent in the barriers of <see cref="SeparateSkew"/>: waiting for the slowest rank to finish its backward pass.</summary>
    public TimeSpan SkewElapsed { get; private set; }

    /// <summary>
    /// Makes the next backward pass start each bucket's non-blocking all-reduce from
    /// <see cref="BlockBackwardCompleted"/> as soon as the bucket's gradients are complete; call it
    /// before the backward of an optimizer step's last micro-batch, with the model's
    /// <see cref="GptModel.BlockBackwardObserver"/> set to this synchronizer.
    /// <see cref="AverageGradients"/> then starts the buckets that are left and waits for all.
    /// </summary>
    /// <exception cref="InvalidOperationException">The buckets were not laid out for overlap.</exception>
    public void ArmOverlap()
    {
        if (!Overlaps)
        {
            throw new InvalidOperationException("The gradient buckets were laid out without the blocks that complete them; pass them to the constructor to overlap.");
        }

        if (_collective.WorldSize == 1)
        {
            return;
        }

        using (no_grad())
        {
            // Before backward writes into them: every gradient must already be a view into its bucket.
            _flats ??= AttachBuckets();
        }

        _requests.Clear();
        _backwardFailure = null;
        _armed = true;
    }

    /// <summary>Starts the all-reduce of every bucket whose gradients <paramref name="block"/>'s backward completed (when armed).</summary>
    public void BlockBackwardCompleted(int block)
    {
        if (!_armed || _backwardFailure is not null)
        {
            return;
        }

        var watch = Stopwatch.StartNew();
        try
        {
            // Buckets run from the last block to the embeddings, in the order backward completes them.
            while (_requests.Count < _buckets.Count && _completeAfterBlock[_requests.Count] is { } complete && complete >= block)
            {
                _requests.Add(_collective.AllReduceSumAsync(_flats![_requests.Count]));
                BucketsStartedInBackward++;
            }
        }
#pragma warning disable CA1031 // An exception must not escape into libtorch's backward, which would end the process; AverageGradients rethrows it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _backwardFailure = ex;
        }

        BackwardElapsed += watch.Elapsed;
    }

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

    /// <summary>Replaces every gradient by its mean over the ranks; after an armed backward, waits for the all-reduces it started.</summary>
    /// <exception cref="InvalidOperationException">Starting an all-reduce inside the armed backward failed (the inner exception says why).</exception>
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
        using var scale = (1.0 / _collective.WorldSize).ToScalar();
        if (_armed)
        {
            _armed = false;
            if (_backwardFailure is { } failure)
            {
                throw new InvalidOperationException($"Starting a gradient all-reduce during the backward pass failed: {failure.Message}", failure);
            }

            // The embeddings' buckets (and any a missing block left) complete only now.
            while (_requests.Count < _buckets.Count)
            {
                _requests.Add(_collective.AllReduceSumAsync(_flats[_requests.Count]));
            }

            for (var i = 0; i < _flats.Length; i++)
            {
                _requests[i].Wait();
                _flats[i].mul_(scale);
            }

            BucketsStarted += _flats.Length;
            _requests.Clear();
            Elapsed += watch.Elapsed;
            return;
        }

        // Without overlap every bucket is ready at the same moment, so nothing can overlap;
        // measured here, Open MPI's non-blocking all-reduce of the buckets took 1.36x a raw
        // all-reduce of the same bytes and blocking ones 0.74x (docs/distributed.md).
        if (!NonBlocking)
        {
            foreach (var flat in _flats)
            {
                _collective.AllReduceSum(flat);
            }
        }

        var requests = NonBlocking ? _flats.Select(flat => _collective.AllReduceSumAsync(flat)).ToArray() : [];
        for (var i = 0; i < _flats.Length; i++)
        {
            if (NonBlocking)
            {
                requests[i].Wait();
            }

            _flats[i].mul_(scale);
        }

        BucketsStarted += _flats.Length;
        Elapsed += watch.Elapsed;
    }

    private void AddBucket(List<Tensor> parameters, int? completeAfterBlock)
    {
        _buckets.Add([.. parameters]);
        _completeAfterBlock.Add(completeAfterBlock);
        parameters.Clear();
    }
}
