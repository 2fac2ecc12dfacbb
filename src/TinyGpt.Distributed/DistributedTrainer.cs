using Microsoft.Extensions.Logging;
using TinyGpt.Checkpoints;
using TinyGpt.Modeling;
using TinyGpt.Training;

namespace TinyGpt.Distributed;

/// <summary>
/// Data-parallel training across processes and nodes: the single-process <see cref="Trainer"/>
/// with an MPI collective. Rank 0's weights are broadcast at the start, every rank trains on its
/// shard of each global batch, gradients are averaged in flat buckets (one all-reduce per bucket;
/// see <see cref="NonBlockingGradientAllReduce"/> and <see cref="OverlapGradientAllReduce"/>,
/// communicating only on the last micro-batch of an accumulation), losses and metrics
/// are averaged, and only rank 0 writes logs, metrics, pictures and checkpoints. Every rank
/// resumes from the same checkpoint. An exception on one rank aborts the whole job.
/// </summary>
/// <remarks>
/// Launch with <c>mpirun -np N</c>, <c>srun</c> or a Kubernetes MPIJob; the batch size in the options
/// is per rank, so the global batch is batch x ranks x accumulation.
/// </remarks>
public sealed class DistributedTrainer : IDisposable
{
    private readonly bool _ownsCollective;

    /// <summary>Creates a trainer over <paramref name="collective"/>, or over the job this process was launched in when it is null.</summary>
    /// <exception cref="Mpi.MpiUnavailableException">Launched with several ranks but no MPI library could be loaded.</exception>
    public DistributedTrainer(GptModel model, TrainingData data, TrainingOptions options, RunDirectory? run = null, ILogger? logger = null, ICollective? collective = null)
    {
        _ownsCollective = collective is null;
        Collective = collective ?? Collectives.Create();
        Trainer = new Trainer(model, data, options, run, logger, Collective);
    }

    /// <summary>The ranks of the job.</summary>
    public ICollective Collective { get; }

    /// <summary>The training loop every rank runs.</summary>
    public Trainer Trainer { get; }

    /// <summary>Largest gradient bucket, in bytes, averaged in one all-reduce (default 25 MB, as DDP).</summary>
    public long GradientBucketBytes
    {
        get => Trainer.GradientBucketBytes;
        set => Trainer.GradientBucketBytes = value;
    }

    /// <summary>Starts every bucket's all-reduce before waiting for any; see <see cref="Trainer.NonBlockingGradientAllReduce"/>.</summary>
    public bool NonBlockingGradientAllReduce
    {
        get => Trainer.NonBlockingGradientAllReduce;
        set => Trainer.NonBlockingGradientAllReduce = value;
    }

    /// <summary>Overlaps averaging the gradients with the backward pass; see <see cref="Trainer.OverlapGradientAllReduce"/>.</summary>
    public bool OverlapGradientAllReduce
    {
        get => Trainer.OverlapGradientAllReduce;
        set => Trainer.OverlapGradientAllReduce = value;
    }

    /// <summary>Compares parameter checksums across ranks after every step and fails when replicas drift (on in tests; costs one small all-gather per step).</summary>
    public bool CheckReplicasEachStep
    {
        get => Trainer.CheckReplicasEachStep;
        set => Trainer.CheckReplicasEachStep = value;
    }

    /// <summary>Continues every rank from the run folder's latest checkpoint, if there is one.</summary>
    public bool ResumeFromLatest() => Trainer.ResumeFromLatest();

    /// <summary>Continues every rank from <paramref name="checkpointPath"/>.</summary>
    public DistributedTrainer ResumeFrom(string checkpointPath)
    {
        Trainer.ResumeFrom(checkpointPath);
        return this;
    }

    /// <summary>Trains on every rank; see <see cref="Trainer.TrainAsync"/>.</summary>
    public Task<TrainingResult> TrainAsync(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Trainer.TrainAsync(progress, cancellationToken);

    /// <summary>Trains on the calling thread on every rank.</summary>
    public TrainingResult Train(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Trainer.Train(progress, cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsCollective)
        {
            Collective.Dispose();
        }
    }
}
