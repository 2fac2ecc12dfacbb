using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TinyGpt.Checkpoints;
using TinyGpt.Generation;
using TinyGpt.Modeling;
using TinyGpt.Reporting;
using TinyGpt.Tokens;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Training;

/// <summary>
/// Trains a <see cref="GptModel"/>: AdamW with decay groups, warmup then cosine decay, gradient
/// clipping and accumulation, periodic evaluation, samples and checkpoints, exact resume. With an
/// <see cref="ICollective"/> of several ranks the same loop trains data-parallel: every rank reads
/// its shard of each global batch, gradients are averaged, and only rank 0 writes files.
/// </summary>
public sealed class Trainer
{
    private readonly ILogger _logger;
    private readonly ICollective _collective;
    private readonly RunDirectory? _run;
    private string? _resumeFrom;

    /// <summary>Creates a trainer; the options are validated.</summary>
    /// <param name="model">The model to train, in place.</param>
    /// <param name="data">Training and validation tokens and their tokenizer.</param>
    /// <param name="options">How to train.</param>
    /// <param name="run">Where to write metrics, checkpoints, the final model and the loss curve; null writes nothing.</param>
    /// <param name="logger">Where progress messages go.</param>
    /// <param name="collective">The ranks to train with; null trains in this process alone.</param>
    /// <exception cref="ArgumentException">The options are invalid or do not fit the model or the data.</exception>
    public Trainer(GptModel model, TrainingData data, TrainingOptions options, RunDirectory? run = null, ILogger? logger = null, ICollective? collective = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        Model = model;
        Data = data;
        Options = options.Clone().EnsureValid();
        _run = run;
        _logger = logger ?? NullLogger.Instance;
        _collective = collective ?? SingleProcessCollective.Instance;
        ContextLength = Options.ContextLength ?? model.Config.ContextLength;
        if (ContextLength > model.Config.ContextLength)
        {
            throw new ArgumentException($"The training context ({ContextLength}) is longer than the model's context length ({model.Config.ContextLength}).", nameof(options));
        }

        if (data.Tokenizer.VocabSize > model.Config.VocabSize)
        {
            throw new ArgumentException($"The tokenizer has {data.Tokenizer.VocabSize} tokens but the model's vocabulary is {model.Config.VocabSize}; set GptConfig.VocabSize to the tokenizer's.", nameof(data));
        }
    }

    /// <summary>Where metrics, checkpoints and the final model go; null when nothing is written.</summary>
    public RunDirectory? RunDirectory => _run;

    /// <summary>The logger the trainer reports to.</summary>
    public ILogger Logger => _logger;

    /// <summary>The ranks this trainer runs with.</summary>
    public ICollective Collective => _collective;

    /// <summary>The model being trained.</summary>
    public GptModel Model { get; }

    /// <summary>The data it trains on.</summary>
    public TrainingData Data { get; }

    /// <summary>The validated options.</summary>
    public TrainingOptions Options { get; }

    /// <summary>Tokens per training sequence.</summary>
    public int ContextLength { get; }

    /// <summary>Size of the gradient buckets averaged across ranks in one all-reduce each.</summary>
    public long GradientBucketBytes { get; set; } = 25L << 20;

    /// <summary>
    /// Starts all buckets' all-reduces before waiting for any (non-blocking) instead of reducing
    /// them one after another. Off by default: after backward all buckets are ready at once, so
    /// nothing overlaps, and Open MPI's non-blocking all-reduce measured slower. Ignored with
    /// <see cref="OverlapGradientAllReduce"/>.
    /// </summary>
    public bool NonBlockingGradientAllReduce { get; set; }

    /// <summary>
    /// Overlaps averaging the gradients with the backward pass (with several ranks): in the last
    /// micro-batch of each step, the backward pass starts a bucket's non-blocking all-reduce as soon
    /// as the blocks whose gradients it holds are done, while it goes on through the blocks below;
    /// the embeddings' bucket starts after backward, then all are awaited. Buckets then also end at
    /// block boundaries. The averaged gradients are the same as without overlap. Off by default:
    /// whether it pays depends on the MPI library making progress during backward; with Open MPI
    /// 4.1 on CPU it measured 0.98x the tokens/s of averaging after backward, over shared memory
    /// and over TCP (see docs/distributed.md, "Overlapping the all-reduce with backward").
    /// </summary>
    public bool OverlapGradientAllReduce { get; set; }

    /// <summary>Compares a checksum of the parameters across ranks after every step and fails when replicas drift apart (costs one small all-gather per step).</summary>
    public bool CheckReplicasEachStep { get; set; }

    /// <summary>Called on every rank after each optimizer step with the step number; tests use it to inspect replicas.</summary>
    internal Action<int>? AfterStep { get; init; }

    /// <summary>The gradient synchronizer of the current or last <see cref="Train"/> call; benchmarks read its timing.</summary>
    internal GradientSynchronizer? Synchronizer { get; private set; }

    /// <summary>Benchmarks only: see <see cref="GradientSynchronizer.SeparateSkew"/>.</summary>
    internal bool SeparateGradientSkew { get; init; }

    /// <summary>Continues from <paramref name="checkpointPath"/> when training starts: weights, optimizer, schedule, data position and random state.</summary>
    public Trainer ResumeFrom(string checkpointPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointPath);
        _resumeFrom = checkpointPath;
        return this;
    }

    /// <summary>Continues from the run folder's latest checkpoint, if there is one.</summary>
    /// <returns>Whether a checkpoint was found.</returns>
    public bool ResumeFromLatest()
    {
        var latest = _run is null ? null : new CheckpointStore(_run.CheckpointsDirectory, Options.KeepCheckpoints).LatestPath;
        if (latest is not null)
        {
            _resumeFrom = latest;
        }

        return latest is not null;
    }

    /// <summary>Trains on a thread-pool thread, so a host's request thread is never blocked.</summary>
    /// <param name="progress">Receives a snapshot after each logged step.</param>
    /// <param name="cancellationToken">Stops training after the current step; a checkpoint is saved first (when there is a run folder), then <see cref="OperationCanceledException"/> is thrown.</param>
    public Task<TrainingResult> TrainAsync(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Task.Factory.StartNew(() => Train(progress, cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Trains on the calling thread; see <see cref="TrainAsync"/>.</summary>
    public TrainingResult Train(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (Options.Threads is { } threads)
        {
            torch.set_num_threads(threads);
        }

        var device = ResolveDevice(Options.Device);
        Model.to(device);
        torch.manual_seed(Options.Seed);
        var sampler = new TokenBatchSource(Data.Train, new TokenBatchSourceOptions
        {
            ContextLength = ContextLength,
            BatchSize = Options.BatchSize,
            Seed = unchecked((ulong)Options.Seed),
            Order = Options.BatchOrder,
            Rank = _collective.Rank,
            WorldSize = _collective.WorldSize,
        });
        var accumulation = Options.GradientAccumulationSteps;
        var totalSteps = Options.MaxSteps ?? (int)Math.Max(1, (Options.Epochs ?? 1) * (sampler.StepsPerEpoch / accumulation));
        var warmup = Options.WarmupSteps ?? Math.Min(200, totalSteps / 10);
        var schedule = new LearningRateSchedule(Options.LearningRate, Options.MinLearningRate ?? Options.LearningRate / 10, Math.Min(warmup, totalSteps - 1), totalSteps);
        var named = Model.NamedParameters();
        using var optimizer = new AdamW(named.Select(p => (p.Name, (Tensor)p.Parameter)), Options.WeightDecay, Options.Beta1, Options.Beta2);
        var overlap = OverlapGradientAllReduce && _collective.WorldSize > 1;
        var synchronizer = new GradientSynchronizer(_collective, named.Select(p => (Tensor)p.Parameter).ToList(), GradientBucketBytes, overlap ? Model.GradientCompleteAfterBlock() : null);
        synchronizer.SeparateSkew = SeparateGradientSkew;
        synchronizer.NonBlocking = NonBlockingGradientAllReduce;
        Synchronizer = synchronizer;
        var store = _run is null ? null : new CheckpointStore(_run.CheckpointsDirectory, Options.KeepCheckpoints);
        var tokensPerStep = (long)Options.BatchSize * _collective.WorldSize * accumulation * ContextLength;
        var flopsPerToken = Model.TrainingFlopsPerToken(ContextLength);

        var step = 0;
        long tokensSeen = 0;
        double? bestValidation = null;
        double previousSeconds = 0;
        if (_resumeFrom is not null)
        {
            var state = LoadCheckpoint(_resumeFrom, optimizer);
            sampler.Seek(new BatchPosition(state.DataEpoch, state.DataStep));
            (step, tokensSeen, bestValidation, previousSeconds) = (state.Step, state.TokensSeen, state.BestValidationLoss, state.ElapsedSeconds);
            _logger.LogInformation("Resumed from {Checkpoint} at step {Step} ({Tokens:N0} tokens seen).", _resumeFrom, step, tokensSeen);
        }
        else if (_collective.WorldSize > 1)
        {
            // Every replica starts from rank 0's weights.
            using var noGrad = no_grad();
            foreach (var (_, parameter) in named)
            {
                _collective.Broadcast(parameter, 0);
            }
        }

        var isPrimary = _collective.Rank == 0;
        using var metrics = isPrimary && _run is not null ? new MetricsWriter(_run.Create().MetricsPath, append: _resumeFrom is not null) : null;
        var trainCurve = new List<(double Tokens, double Loss)>();
        var validationCurve = new List<(double Tokens, double Loss)>();
        if (isPrimary)
        {
            var count = Model.CountParameters();
            _logger.LogInformation(
                "Training {Params:N0} parameters ({NonEmbedding:N0} non-embedding) for {Steps} steps: {Ranks} rank(s) x batch {Batch} x accumulation {Accumulation} = global batch {Global} sequences of {Context} tokens ({TokensPerStep:N0} tokens per step); lr {Lr:G3} -> {MinLr:G3}, warmup {Warmup}.",
                count.Total, count.NonEmbedding, totalSteps, _collective.WorldSize, Options.BatchSize, accumulation, Options.BatchSize * _collective.WorldSize * accumulation, ContextLength, tokensPerStep, schedule.Peak, schedule.Minimum, schedule.WarmupSteps);
        }

        var runWatch = Stopwatch.StartNew();
        var windowWatch = Stopwatch.StartNew();
        var windowTokens = 0L;
        double lastLoss = double.NaN;
        double? lastValidation = null;
        var checkpointInterval = Options.CheckpointInterval ?? Options.EvalInterval;
        string? lastCheckpoint = null;

        TrainerState State(double? validationLoss) => new()
        {
            Step = step,
            TotalSteps = totalSteps,
            WarmupSteps = schedule.WarmupSteps,
            TokensSeen = tokensSeen,
            DataEpoch = sampler.Position.Epoch,
            DataStep = sampler.Position.Step,
            OptimizerSteps = optimizer.StepCount,
            BestValidationLoss = bestValidation,
            ValidationLoss = validationLoss,
            BatchSize = Options.BatchSize,
            GradientAccumulationSteps = accumulation,
            WorldSize = _collective.WorldSize,
            Seed = Options.Seed,
            ElapsedSeconds = previousSeconds + runWatch.Elapsed.TotalSeconds,
        };

        void SaveCheckpoint(double? validationLoss)
        {
            if (store is not null && isPrimary)
            {
                lastCheckpoint = store.Save(State(validationLoss), Model, optimizer.State(), Data.Tokenizer.Fingerprint);
            }

            _collective.Barrier();
        }

        try
        {
            while (step < totalSteps)
            {
                if (StopRequested(cancellationToken))
                {
                    _logger.LogWarning("Training cancelled at step {Step}; saving a checkpoint.", step);
                    SaveCheckpoint(null);
                    throw new OperationCanceledException("Training was cancelled; a checkpoint of the last completed step was saved.", cancellationToken);
                }

                Model.train();
                optimizer.ZeroGrad();
                double lossSum = 0;
                for (var micro = 0; micro < accumulation; micro++)
                {
                    using var scope = NewDisposeScope();
                    var batch = sampler.NextBatch();
                    var (input, target) = batch.ToTensors(device);
                    // Gradients are complete only in the last micro-batch's backward: overlap there.
                    if (overlap && micro == accumulation - 1)
                    {
                        synchronizer.ArmOverlap();
                        Model.BlockBackwardObserver = synchronizer;
                    }

                    try
                    {
                        var logits = Model.forward(input);
                        var loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), target.view(-1));
                        // Each micro-batch contributes 1/accumulation of the step's mean gradient.
                        if (accumulation == 1)
                        {
                            loss.backward();
                        }
                        else
                        {
                            using var share = (1.0 / accumulation).ToScalar();
                            loss.mul(share).backward();
                        }

                        lossSum += loss.item<float>();
                    }
                    finally
                    {
                        Model.BlockBackwardObserver = null;
                    }
                }

                synchronizer.AverageGradients();
                var stepLoss = AverageOverRanks(lossSum / accumulation);
                if (!double.IsFinite(stepLoss))
                {
                    throw new TrainingDivergedException(step, stepLoss);
                }

                var gradNorm = ClipGradients(named);
                var lr = schedule.At(step);
                optimizer.Step(lr);
                step++;
                tokensSeen += tokensPerStep;
                windowTokens += tokensPerStep;
                lastLoss = stepLoss;
                AfterStep?.Invoke(step);
                if (CheckReplicasEachStep)
                {
                    CheckReplicas(named, step);
                }

                if (step % Options.LogInterval == 0 || step == totalSteps || step == 1)
                {
                    var seconds = windowWatch.Elapsed.TotalSeconds;
                    var tokensPerSecond = windowTokens / Math.Max(seconds, 1e-9);
                    var mfu = Options.PeakFlops is { } peak ? tokensPerSecond * flopsPerToken / peak : (double?)null;
                    windowWatch.Restart();
                    windowTokens = 0;
                    trainCurve.Add((tokensSeen, stepLoss));
                    var elapsed = runWatch.Elapsed;
                    var eta = TimeSpan.FromSeconds(elapsed.TotalSeconds / step * (totalSteps - step) * (step > 0 ? 1 : 0));
                    if (isPrimary)
                    {
                        _logger.LogInformation("step {Step}/{Total} | loss {Loss:F4} | lr {Lr:E2} | {Tps:N0} tok/s{Mfu} | grad norm {Norm:F3}", step, totalSteps, stepLoss, lr, tokensPerSecond, mfu is { } m ? $" | MFU {m:P1}" : string.Empty, gradNorm);
                        metrics?.Write(new Dictionary<string, object?>
                        {
                            ["type"] = "train",
                            ["step"] = step,
                            ["loss"] = stepLoss,
                            ["lr"] = lr,
                            ["tokens_per_second"] = tokensPerSecond,
                            ["mfu"] = mfu,
                            ["grad_norm"] = gradNorm,
                            ["tokens"] = tokensSeen,
                            ["elapsed"] = previousSeconds + elapsed.TotalSeconds,
                        });
                    }

                    progress?.Report(new TrainingProgress(step, totalSteps, stepLoss, lr, tokensPerSecond, tokensSeen, elapsed, eta, lastValidation));
                }

                // Evaluation, checkpoints and samples do not count towards training throughput.
                windowWatch.Stop();
                var evaluate = Data.Validation is not null && Options.EvalInterval > 0 && step % Options.EvalInterval == 0 && step < totalSteps;
                if (evaluate)
                {
                    var result = Evaluate(Data.Validation!, Options.EvalBatches, null, null);
                    lastValidation = result.Loss;
                    bestValidation = bestValidation is null ? result.Loss : Math.Min(bestValidation.Value, result.Loss);
                    validationCurve.Add((tokensSeen, result.Loss));
                    LogEvaluation(metrics, step, tokensSeen, result, partial: Options.EvalBatches is not null);
                }

                if (checkpointInterval > 0 && step % checkpointInterval == 0 && step < totalSteps)
                {
                    SaveCheckpoint(evaluate ? lastValidation : null);
                }

                if (Options.SampleInterval > 0 && step % Options.SampleInterval == 0 && isPrimary)
                {
                    _logger.LogInformation("sample at step {Step}: {Text}", step, Sample());
                }

                windowWatch.Start();
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException && ex is not TrainingDivergedException && _collective.WorldSize > 1)
        {
            // Another rank would wait for this one forever: end the whole job.
            _collective.Abort($"rank {_collective.Rank} failed at step {step}: {ex.Message}");
            throw;
        }

        EvaluationResult? final = null;
        if (Data.Validation is not null)
        {
            final = Evaluate(Data.Validation, null, Data.ValidationBytes, Data.ValidationWords);
            validationCurve.Add((tokensSeen, final.Loss));
            bestValidation = bestValidation is null ? final.Loss : Math.Min(bestValidation.Value, final.Loss);
            LogEvaluation(metrics, step, tokensSeen, final, partial: false);
        }

        SaveCheckpoint(final?.Loss);
        string? modelPath = null, curvePath = null;
        if (isPrimary && _run is not null)
        {
            modelPath = _run.ModelPath;
            GptModelFile.Save(Model, modelPath);
            curvePath = _run.LossCurvePath;
            var history = ReadCurves(_run.MetricsPath);
            LossCurveChart.WritePng(curvePath, history.Train.Count > 0 ? history.Train : trainCurve, history.Validation.Count > 0 ? history.Validation : validationCurve, $"TinyGpt {Model.CountParameters().Total / 1e6:F1}M params");
            _logger.LogInformation("Saved the model to {Model}, the last checkpoint to {Checkpoint} and the loss curve to {Curve}.", modelPath, lastCheckpoint, curvePath);
        }

        Model.eval();
        return new TrainingResult(step, tokensSeen, lastLoss, final, runWatch.Elapsed, modelPath, curvePath);
    }

    /// <summary>
    /// Scores <paramref name="tokens"/> with windows of the training context (stride from the
    /// options); with several ranks each scores a share of the windows.
    /// </summary>
    /// <param name="tokens">The split's tokens.</param>
    /// <param name="maxBatches">Score only this many batches of windows (a quick estimate); null scores everything.</param>
    /// <param name="bytes">UTF-8 bytes of the split's text (for bits per byte; ignored for partial scoring).</param>
    /// <param name="words">Words of the split's text (for word-level perplexity; ignored for partial scoring).</param>
    public EvaluationResult Evaluate(ITokenSequence tokens, int? maxBatches = null, long? bytes = null, long? words = null) =>
        ModelEvaluator.Evaluate(Model, tokens, new EvaluationSettings
        {
            ContextLength = ContextLength,
            Stride = Options.EvalStride,
            BatchSize = Options.BatchSize,
            MaxBatches = maxBatches,
            Bytes = bytes,
            Words = words,
        }, _collective);

    private TrainerState LoadCheckpoint(string path, AdamW optimizer)
    {
        var content = CheckpointStore.ReadForResume(path, Model.Config, Data.Tokenizer.Fingerprint, out var state);
        if (state.WorldSize * state.BatchSize * state.GradientAccumulationSteps != _collective.WorldSize * Options.BatchSize * Options.GradientAccumulationSteps)
        {
            _logger.LogWarning("The checkpoint was trained with a global batch of {Old} sequences per step; this run uses {New}. The data order will differ from the original run.", state.WorldSize * state.BatchSize * state.GradientAccumulationSteps, _collective.WorldSize * Options.BatchSize * Options.GradientAccumulationSteps);
        }

        GptModelFile.LoadWeights(Model, content, path, CheckpointStore.ModelPrefix);
        foreach (var (name, tensor) in optimizer.State())
        {
            content.CopyInto(name, tensor);
        }

        optimizer.StepCount = state.OptimizerSteps;
        using var rng = content.Load(CheckpointStore.RandomStateName);
        torch.set_rng_state(rng);
        return state;
    }

    private bool StopRequested(CancellationToken cancellationToken)
    {
        var local = cancellationToken.IsCancellationRequested ? 1.0 : 0.0;
        if (_collective.WorldSize == 1)
        {
            return local > 0;
        }

        // All ranks must stop at the same step, or the others would wait in an all-reduce forever.
        using var flag = torch.tensor(new[] { local });
        _collective.AllReduceSum(flag);
        return flag.item<double>() > 0;
    }

    private double AverageOverRanks(double value)
    {
        if (_collective.WorldSize == 1)
        {
            return value;
        }

        using var t = torch.tensor(new[] { value });
        _collective.AllReduceSum(t);
        return t.item<double>() / _collective.WorldSize;
    }

    private double ClipGradients(IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Parameter)> named)
    {
        using var scope = NewDisposeScope();
        var withGrad = named.Select(p => p.Parameter).Where(p => p.grad is not null).ToList();
        if (Options.GradientClip > 0)
        {
            return nn.utils.clip_grad_norm_(withGrad, Options.GradientClip);
        }

        return Math.Sqrt(withGrad.Sum(p => p.grad!.square().sum().item<float>()));
    }

    private void CheckReplicas(IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Parameter)> named, int step)
    {
        if (_collective.WorldSize == 1)
        {
            return;
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // A position-weighted sum differs when any element differs in practice.
        var checksum = torch.tensor(new[] { named.Sum(p => p.Parameter.to(ScalarType.Float64).reshape(-1).mul(ones(p.Parameter.NumberOfElements, ScalarType.Float64).cumsum(0)).sum().item<double>()) });
        var all = torch.zeros(_collective.WorldSize, dtype: ScalarType.Float64);
        _collective.AllGather(checksum, all);
        var values = all.data<double>().ToArray();
        if (values.Any(v => v != values[0]))
        {
            throw new InvalidOperationException($"Replicas diverged after step {step}: parameter checksums per rank are {string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}.");
        }
    }

    private string Sample()
    {
        var generator = new TextGenerator(Model, Data.Tokenizer);
        var options = new GenerationOptions
        {
            MaxNewTokens = Math.Min(Options.SampleTokens, Model.Config.ContextLength - 1),
            ContextOverflow = ContextOverflow.KeepLastTokens,
            Sampling = new SamplingOptions { Temperature = 0.8, TopK = 40, Seed = Options.Seed },
        };
        var text = Options.SamplePrompt + generator.Generate(Options.SamplePrompt, options);
        Model.train();
        return text.ReplaceLineEndings(" ").Trim();
    }

    private void LogEvaluation(MetricsWriter? metrics, int step, long tokensSeen, EvaluationResult result, bool partial)
    {
        if (_collective.Rank != 0)
        {
            return;
        }

        _logger.LogInformation(
            "eval at step {Step}{Partial}: loss {Loss:F4} | token ppl {Ppl:F2}{Word}{Bpb}",
            step,
            partial ? " (estimate)" : string.Empty,
            result.Loss,
            result.TokenPerplexity,
            result.WordPerplexity is { } w ? $" | word ppl {w:F2}" : string.Empty,
            result.BitsPerByte is { } b ? $" | {b:F4} bits/byte" : string.Empty);
        metrics?.Write(new Dictionary<string, object?>
        {
            ["type"] = "eval",
            ["step"] = step,
            ["tokens"] = tokensSeen,
            ["loss"] = result.Loss,
            ["token_perplexity"] = result.TokenPerplexity,
            ["word_perplexity"] = result.WordPerplexity,
            ["bits_per_byte"] = result.BitsPerByte,
            ["scored_tokens"] = result.Tokens,
            ["partial"] = partial,
        });
    }

    private static (List<(double Tokens, double Loss)> Train, List<(double Tokens, double Loss)> Validation) ReadCurves(string metricsPath)
    {
        var train = new List<(double, double)>();
        var validation = new List<(double, double)>();
        if (!File.Exists(metricsPath))
        {
            return (train, validation);
        }

        foreach (var line in File.ReadLines(metricsPath))
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var point = (root.GetProperty("tokens").GetDouble(), root.GetProperty("loss").GetDouble());
            (root.GetProperty("type").GetString() == "train" ? train : validation).Add(point);
        }

        return (train, validation);
    }

    internal static Device ResolveDevice(string name)
    {
        var device = torch.device(name);
        if (device.type == DeviceType.CUDA && !torch.cuda.is_available())
        {
            throw new ArgumentException($"Device '{name}' was asked for but CUDA is not available: reference a CUDA libtorch backend package (see README, 'Choosing a backend') and check the driver, or use --device cpu.");
        }

        return device;
    }
}
