using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using TinyGpt.Interchange;
using TinyGpt.Modeling;
using TinyGpt.Runs;
using TinyGpt.Training;
using TorchSharp;

namespace TinyGpt.Distributed;

/// <summary>
/// The entry point of data-parallel training for one rank of a job started by <c>mpirun</c>,
/// <c>srun</c> or a Kubernetes MPIJob (and, with one process, of plain training too). It joins the
/// job (MPI), checks that every rank was started with the same model, options and data, shares the
/// cores of a node between its ranks, and makes the <see cref="Trainer"/> every rank runs: rank 0's
/// weights are broadcast, each rank trains on its shard of every global batch, gradients are
/// averaged in flat buckets, only rank 0 logs and writes, and a failure on any rank ends the job.
/// </summary>
/// <remarks>
/// The batch size in the options is per rank, so the global batch is batch x ranks x accumulation.
/// </remarks>
public sealed class DistributedTrainer : IDisposable
{
    private readonly bool _ownsCollective;

    /// <summary>Joins the job this process was launched in (one process alone when there is none), or uses <paramref name="collective"/>.</summary>
    /// <exception cref="Mpi.MpiUnavailableException">Launched with several ranks but no MPI library could be loaded.</exception>
    public DistributedTrainer(ICollective? collective = null)
    {
        _ownsCollective = collective is null;
        Collective = collective ?? Collectives.Create();
    }

    /// <summary>The ranks of the job.</summary>
    public ICollective Collective { get; }

    /// <summary>
    /// A trainer of <paramref name="model"/> on a prepared run folder that every rank can read
    /// (rank 0 writes its checkpoints, metrics and final model). See <see cref="RunFolder.CreateTrainer"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The ranks were started with different models, options or data.</exception>
    public Trainer CreateTrainer(RunFolder run, GptModel model, TrainingOptions options, TrainingStart start = TrainingStart.New, ILogger? logger = null, IEnumerable<ITrainingObserver>? observers = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(model);
        var perRank = ForThisRank(options);
        RequireAgreement(model.Config, perRank, run.Tokenizer.Fingerprint, run.OpenTokens(run.Manifest.TrainSplit).Count);
        return run.CreateTrainer(model, perRank, start, logger, Collective, observers);
    }

    /// <summary>A trainer of <paramref name="model"/> on <paramref name="data"/> that writes only through the checkpoints and observers given.</summary>
    /// <exception cref="InvalidOperationException">The ranks were started with different models, options or data.</exception>
    public Trainer CreateTrainer(GptModel model, TrainingData data, TrainingOptions options, ILogger? logger = null, ITrainingCheckpoints? checkpoints = null, IEnumerable<ITrainingObserver>? observers = null, ITrainingSampler? sampler = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var perRank = ForThisRank(options);
        RequireAgreement(model.Config, perRank, data.Tokenizer.Fingerprint, data.Train.Count);
        return new Trainer(model, data, perRank, logger, Collective)
        {
            Checkpoints = checkpoints,
            Observers = [.. observers ?? []],
            Sampler = sampler,
            InitialWeights = PretrainedWeights.Instance,
        };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsCollective)
        {
            Collective.Dispose();
        }
    }

    /// <summary>
    /// The options with <see cref="TrainingOptions.Threads"/> set, when it is not, to this node's
    /// cores shared between its ranks: every rank using every core would slow all of them down.
    /// </summary>
    private TrainingOptions ForThisRank(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var copy = options.Clone();
        if (copy.Threads is null && Collective.WorldSize > 1)
        {
            copy.Threads = Math.Max(1, Environment.ProcessorCount / RanksOnThisNode());
        }

        return copy;
    }

    private int RanksOnThisNode()
    {
        var hosts = Gather(StableHash(Environment.MachineName));
        return hosts.Count(h => h == hosts[Collective.Rank]);
    }

    /// <summary>
    /// Fails on every rank, at once, when one was started with another model, other training options
    /// or other data than rank 0: such a job would hang in a collective or train on mismatched shards.
    /// </summary>
    private void RequireAgreement(GptConfig config, TrainingOptions options, string tokenizerFingerprint, long trainTokens)
    {
        if (Collective.WorldSize == 1)
        {
            return;
        }

        // Threads may differ between nodes with different core counts; nothing else may.
        var shared = options.Clone();
        shared.Threads = null;
        var description = JsonSerializer.Serialize(new { config, options = shared, tokenizerFingerprint, trainTokens });
        var hashes = Gather(StableHash(description));
        var different = Enumerable.Range(0, hashes.Length).Where(r => hashes[r] != hashes[0]).ToList();
        if (different.Count > 0)
        {
            var ranks = string.Join(", ", different.Select(r => r.ToString(CultureInfo.InvariantCulture)));
            throw new InvalidOperationException(
                $"Rank(s) {ranks} of {Collective.WorldSize} were started with another model, other training options or other data than rank 0. " +
                "Launch every rank with the same command line and the same run folder (on a shared file system).");
        }
    }

    private long[] Gather(long value)
    {
        using var mine = torch.tensor(new long[] { value }, dtype: torch.int64);
        using var all = torch.zeros(Collective.WorldSize, dtype: torch.int64);
        Collective.AllGather(mine, all);
        return all.data<long>().ToArray();
    }

    private static long StableHash(string text) => BinaryPrimitives.ReadInt64LittleEndian(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
