using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TinyGpt.Modeling;
using TinyGpt.Telemetry;
using TinyGpt.Tokens;
using TinyGpt.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Training;

/// <summary>
/// Trains a <see cref="GptModel"/>: AdamW with decay groups, warmup then cosine decay, gradient
/// clipping and accumulation, periodic evaluation, checkpoints and samples, exact resume. With an
/// <see cref="ICollective"/> of several ranks the same loop trains data-parallel: every rank reads
/// its shard of each global batch, gradients are averaged, and only rank 0 writes.
/// </summary>
/// <remarks>
/// The loop reads top to bottom in <see cref="Train"/>: set up, then one optimizer step after
/// another (log, maybe evaluate, checkpoint, sample), then a final evaluation and checkpoint.
/// Files are written by the <see cref="Checkpoints"/> store and the <see cref="Observers"/>.
/// </remarks>
public sealed class Trainer
{
    private string? _resumeFrom;
    private bool _resumeFromLatest;

    /// <summary>Creates a trainer; the options are validated against the model and the data.</summary>
    /// <param name="model">The model to train, in place.</param>
    /// <param name="data">Training and validation tokens and their tokenizer.</param>
    /// <param name="options">How to train.</param>
    /// <param name="logger">Where progress messages go; only rank 0 logs.</param>
    /// <param name="collective">The ranks to train with; null trains in this process alone.</param>
    /// <exception cref="ArgumentException">The options are invalid or do not fit the model or the data.</exception>
    public Trainer(GptModel model, TrainingData data, TrainingOptions options, ILogger? logger = null, ICollective? collective = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        Model = model;
        Data = data;
        Options = options.Clone().EnsureValid();
        Collective = collective ?? SingleProcessCollective.Instance;
        // Only rank 0 logs, as only rank 0 writes.
        Logger = Collective.IsPrimary ? logger ?? NullLogger.Instance : NullLogger.Instance;
        ContextLength = Options.ContextLength ?? model.Config.ContextLength;
        if (ContextLength > model.Config.ContextLength)
        {
            throw new ArgumentException($"The training context ({ContextLength}) is longer than the model's context length ({model.Config.ContextLength}).", nameof(options));
        }

        if (data.Tokenizer.VocabSize > model.Config.VocabSize)
        {
            throw new ArgumentException($"The tokenizer has {data.Tokenizer.VocabSize} tokens but the model's vocabulary is {model.Config.VocabSize}; set GptConfig.VocabSize to the tokenizer's.", nameof(data));
        }

        // Fails now, not at the first step, when the data cannot fill one global batch.
        _ = CreateBatches();
        Devices.Resolve(Options.Device);
    }

    /// <summary>The model being trained.</summary>
    public GptModel Model { get; }

    /// <summary>The data it trains on.</summary>
    public TrainingData Data { get; }

    /// <summary>The validated options.</summary>
    public TrainingOptions Options { get; }

    /// <summary>The logger the trainer reports to.</summary>
    public ILogger Logger { get; }

    /// <summary>The ranks this trainer runs with.</summary>
    public ICollective Collective { get; }

    /// <summary>Tokens per training sequence.</summary>
    public int ContextLength { get; }

    /// <summary>Where checkpoints go and come back from; null writes none (and nothing can be resumed).</summary>
    public ITrainingCheckpoints? Checkpoints { get; init; }

    /// <summary>Writes the samples of <see cref="TrainingOptions.SampleInterval"/>; required when that is set.</summary>
    public ITrainingSampler? Sampler { get; init; }

    /// <summary>Loads <see cref="TrainingOptions.InitFrom"/>; required when that is set.</summary>
    public IInitialWeights? InitialWeights { get; init; }

    /// <summary>Told about every logged step, evaluation, checkpoint and sample (on rank 0).</summary>
    public IReadOnlyList<ITrainingObserver> Observers { get; init; } = [];

    /// <summary>The clock of step times, elapsed times and <see cref="TrainingOptions.TimeBudget"/>; the system's by default.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Size of the gradient buckets averaged across ranks in one all-reduce each.</summary>
    public long GradientBucketBytes { get; init; } = 25L << 20;

    /// <summary>Compares a checksum of the parameters across ranks after every step and fails when replicas drift apart (costs one small all-gather per step).</summary>
    public bool CheckReplicasEachStep { get; init; }

    /// <summary>Continues from <paramref name="checkpointPath"/> when training starts: weights, optimizer, schedule, data position and random state.</summary>
    public Trainer ResumeFrom(string checkpointPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointPath);
        _resumeFrom = checkpointPath;
        return this;
    }

    /// <summary>Continues from the newest complete checkpoint of <see cref="Checkpoints"/> when training starts; trains from the start when there is none.</summary>
    public Trainer ResumeFromLatest()
    {
        _resumeFromLatest = true;
        return this;
    }

    /// <summary>Trains on a thread of its own, so a host's request thread is never blocked.</summary>
    /// <param name="progress">Told about every logged step, on every rank.</param>
    /// <param name="cancellationToken">Stops training at the next step boundary (on every rank); the last step is saved as a checkpoint, then <see cref="TrainingStoppedException"/> is thrown.</param>
    public Task<TrainingResult> TrainAsync(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Task.Factory.StartNew(() => Train(progress, cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Trains on the calling thread; see <see cref="TrainAsync"/>.</summary>
    /// <exception cref="TrainingStoppedException">The token was cancelled; the last completed step was saved.</exception>
    /// <exception cref="TrainingDivergedException">The loss stopped being a finite number.</exception>
    /// <exception cref="InvalidDataException">The checkpoint to resume from belongs to another model or tokenizer, or is damaged.</exception>
    public TrainingResult Train(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        AbortOnFailure.Run(Collective, () => Run(progress, cancellationToken));

    /// <summary>Scores <paramref name="tokens"/> in windows of the training context (stride from the options); with several ranks each scores a share.</summary>
    /// <param name="tokens">The split's tokens.</param>
    /// <param name="maxBatches">Score only this many batches of windows (a quick estimate); null scores everything.</param>
    /// <param name="bytes">UTF-8 bytes of the split's text (for bits per byte; ignored for partial scoring).</param>
    /// <param name="words">Words of the split's text (for word-level perplexity; ignored for partial scoring).</param>
    /// <param name="cancellationToken">Stops between batches, on every rank.</param>
    public EvaluationResult Evaluate(ITokenSequence tokens, int? maxBatches = null, long? bytes = null, long? words = null, CancellationToken cancellationToken = default) =>
        ModelEvaluator.Evaluate(Model, tokens, new EvaluationSettings
        {
            ContextLength = ContextLength,
            Stride = Options.EvalStride,
            BatchSize = Options.BatchSize,
            MaxBatches = maxBatches,
            Bytes = bytes,
            Words = words,
        }, Collective, cancellationToken);

    private TrainingResult Run(IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        // Set up: device, data order, schedule, optimizer, gradient buckets; resume or start fresh.
        if (Options.SampleInterval > 0 && Sampler is null)
        {
            throw new InvalidOperationException($"{nameof(TrainingOptions.SampleInterval)} is {Options.SampleInterval} but the trainer has no {nameof(Sampler)}: set Trainer.Sampler (for example a TinyGpt.Generation.TrainingSampler), or set SampleInterval to 0.");
        }

        if (Options.InitFrom is not null && InitialWeights is null)
        {
            throw new InvalidOperationException($"{nameof(TrainingOptions.InitFrom)} is set but the trainer has no {nameof(InitialWeights)}: set Trainer.InitialWeights (TinyGpt.Interchange.PretrainedWeights.Instance reads every model format), or create the trainer with RunFolder.CreateTrainer.");
        }

        if (Options.Threads is { } threads)
        {
            torch.set_num_threads(threads);
        }

        // A time budget counts from here: loading, probing and the final work are part of the run.
        var clock = TimeProvider;
        var runStarted = clock.GetTimestamp();
        TimeSpan Elapsed() => clock.GetElapsedTime(runStarted);
        var device = Devices.Resolve(Options.Device);
        Model.to(device);
        torch.manual_seed(Options.Seed);
        var batches = CreateBatches();
        var parameters = Model.NamedParameters();
        using var optimizer = new AdamW(parameters.Select(p => (p.Name, (Tensor)p.Parameter)), Options.WeightDecay, Options.Beta1, Options.Beta2);
        using var averager = new GradientAverager(Collective, parameters.Select(p => (Tensor)p.Parameter).ToList(), GradientBucketBytes);
        using var average = Options.WeightAverageDecay is { } decay ? new WeightAverage(parameters.Select(p => (p.Name, (Tensor)p.Parameter)), decay) : null;
        var state = new TrainingState();
        var restored = Resume(state, batches, optimizer, average);
        var resumedFrom = restored?.Path;
        var earlierSeconds = restored?.State.ElapsedSeconds ?? 0;
        var (plan, budget) = Plan(batches, restored?.State, earlierSeconds, Elapsed);
        WarnIfTheScheduleChanged(restored?.State, plan);
        var startStep = state.Step;
        long? previousIteration = null;
        var throughput = new ThroughputWindow();
        string? lastCheckpoint = null;
        Notify(o => o.OnTrainingStarted(new TrainingStarted(state.Step, plan.TotalSteps, Model.CountParameters(), plan.GlobalBatchSize, plan.TokensPerStep, resumedFrom)));
        LogStart(plan);

        string? SaveCheckpoint(double? validationLoss)
        {
            string? path = null;
            var started = TimeProvider.GetTimestamp();
            if (Checkpoints is not null && Collective.IsPrimary)
            {
                var record = state.ToRecord(plan, Options, batches.Position, optimizer.StepCount, average?.UpdateCount, Collective.WorldSize, validationLoss, Elapsed());
                path = Checkpoints.Save(record, Model, TrainingTensors(optimizer, average), Data.Tokenizer.Fingerprint);
                Notify(o => o.OnCheckpointSaved(state.Step, path));
            }

            Collective.Barrier();
            budget?.RecordCheckpoint(TimeProvider.GetElapsedTime(started).TotalSeconds);
            return path ?? lastCheckpoint;
        }

        TrainingStoppedException Stopped()
        {
            Logger.LogWarning("Stopping at step {Step}: saving a checkpoint of it.", state.Step);
            lastCheckpoint = SaveCheckpoint(null);
            return new TrainingStoppedException(state.Step, Checkpoints is not null && Collective.IsPrimary ? lastCheckpoint : null, Checkpoints is not null, cancellationToken);
        }

        // Train: one optimizer step after another, each followed by what is due at it.
        while (state.Step < plan.TotalSteps)
        {
            if (StopRequested(cancellationToken))
            {
                throw Stopped();
            }

            // A step's time for the budget is the whole iteration (logging and planning included)
            // less the evaluations, checkpoints and samples, which are counted on their own. A
            // session's first step pays for first-touch allocations: it would skew the speed.
            var iterationStarted = clock.GetTimestamp();
            if (budget is not null && previousIteration is { } previous && state.Step > startStep + 1)
            {
                budget.RecordStep(TimeProvider.GetElapsedTime(previous, iterationStarted).TotalSeconds - budget.TakeEventSeconds());
            }

            previousIteration = iterationStarted;

            throughput.Resume();
            var started = TimeProvider.GetTimestamp();
            (double LearningRate, double GradientNorm) step;
            using (var activity = TinyGptTelemetry.Source.StartActivity("tinygpt.train.step"))
            {
                step = TrainStep(batches, optimizer, averager, average, plan, state);
                throughput.Pause(plan.TokensPerStep);
                activity?.SetTag("tinygpt.step", state.Step).SetTag("tinygpt.loss", state.LastLoss).SetTag("tinygpt.learning_rate", step.LearningRate);
            }

            var (lr, gradNorm) = step;
            var stepSeconds = TimeProvider.GetElapsedTime(started).TotalSeconds;

            TinyGptTelemetry.TrainingTokens.Add(plan.TokensPerStep);
            TinyGptTelemetry.TrainingStepDuration.Record(stepSeconds);
            TinyGptTelemetry.TrainingLoss.Record(state.LastLoss);
            TinyGptTelemetry.LearningRate.Record(lr);
            if (state.Step % Options.LogInterval == 0 || state.Step == plan.TotalSteps || state.Step == 1)
            {
                Report(progress, plan, state, throughput.TakeTokensPerSecond(), lr, gradNorm, Elapsed());
            }

            var last = state.Step == plan.TotalSteps;
            var evaluated = false;
            if (!last && Data.Validation is not null && IsDue(state.Step, Options.EvalInterval))
            {
                try
                {
                    var evaluationStarted = TimeProvider.GetTimestamp();
                    EvaluationResult estimate;
                    using (average?.Apply())
                    {
                        estimate = Evaluate(Data.Validation, Options.EvalBatches, cancellationToken: cancellationToken);
                    }

                    budget?.RecordEvaluation(TimeProvider.GetElapsedTime(evaluationStarted).TotalSeconds);
                    state.RecordEvaluation(estimate.Loss);
                    Report(new EvaluationReport(state.Step, state.TokensSeen, estimate, Partial: Options.EvalBatches is not null));
                    evaluated = true;
                }
                catch (OperationCanceledException)
                {
                    throw Stopped();
                }
            }

            if (!last && IsDue(state.Step, Options.CheckpointInterval ?? Options.EvalInterval))
            {
                lastCheckpoint = SaveCheckpoint(evaluated ? state.LastValidationLoss : null);
            }

            if (Sampler is not null && IsDue(state.Step, Options.SampleInterval) && Collective.IsPrimary)
            {
                var sampleStarted = TimeProvider.GetTimestamp();
                var text = Sampler.Sample(Model, Options).ReplaceLineEndings(" ").Trim();
                Logger.LogInformation("sample at step {Step}: {Text}", state.Step, text);
                Notify(o => o.OnSample(state.Step, text));
                budget?.RecordSample(TimeProvider.GetElapsedTime(sampleStarted).TotalSeconds);
            }

            if (budget is not null && state.Step < plan.TotalSteps)
            {
                plan = Replan(plan, budget, state.Step, earlierSeconds, Elapsed);
            }
        }

        // Finish: the whole validation split, a last checkpoint, then the observers write what they keep.
        EvaluationResult? final = null;
        if (Data.Validation is not null)
        {
            try
            {
                using var averaged = average?.Apply();
                final = Evaluate(Data.Validation, null, Data.ValidationBytes, Data.ValidationWords, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                throw Stopped();
            }

            state.RecordEvaluation(final.Loss);
            Report(new EvaluationReport(state.Step, state.TokensSeen, final, Partial: false));
        }

        lastCheckpoint = SaveCheckpoint(final?.Loss);
        if (Options.TimeBudget is { } timeBudget)
        {
            var used = TimeSpan.FromSeconds(earlierSeconds + Elapsed().TotalSeconds);
            Logger.LogInformation("Time budget {Budget}: the run took {Used} ({Share:P1} of it) for {Steps} steps.", timeBudget, used.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture), used / timeBudget, state.Step);
        }

        // The checkpoint above keeps the raw weights to train on from; the model is the average.
        average?.CopyIntoParameters();
        Model.eval();
        var result = new TrainingResult(state.Step, state.TokensSeen, state.LastLoss, final, Elapsed(), Checkpoints is null ? null : lastCheckpoint);
        Notify(o => o.OnTrainingFinished(result, Model));
        return result;
    }

    /// <summary>Forward and backward over one step's micro-batches, adding to the gradients; returns the mean loss on this rank.</summary>
    private double ForwardBackward(TokenBatchSource batches)
    {
        var accumulation = Options.GradientAccumulationSteps;
        double lossSum = 0;
        for (var micro = 0; micro < accumulation; micro++)
        {
            // Each micro-batch's activations are freed before the next one's forward pass.
            using var microScope = NewDisposeScope();
            var (input, target) = batches.NextBatch().ToTensors(Model.Device);
            var logits = Model.forward(input);
            var loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), target.view(-1), label_smoothing: Options.LabelSmoothing);
            if (accumulation == 1)
            {
                loss.backward();
            }
            else
            {
                // Each micro-batch contributes 1/accumulation of the step's mean gradient.
                using var share = (1.0 / accumulation).ToScalar();
                loss.mul(share).backward();
            }

            lossSum += loss.ToDouble();
        }

        return lossSum / accumulation;
    }

    /// <summary>One optimizer step: forward and backward over the micro-batches, average gradients over the ranks, clip, update.</summary>
    private (double LearningRate, double GradientNorm) TrainStep(TokenBatchSource batches, AdamW optimizer, GradientAverager averager, WeightAverage? average, TrainingPlan plan, TrainingState state)
    {
        using var scope = NewDisposeScope();
        Model.train();
        optimizer.ZeroGrad();
        var meanLoss = ForwardBackward(batches);
        averager.Average();
        var stepLoss = AverageOverRanks(meanLoss);
        if (!double.IsFinite(stepLoss))
        {
            throw new TrainingDivergedException(state.Step, stepLoss);
        }

        var gradNorm = ClipGradients();
        var lr = plan.Schedule.At(state.Step);
        optimizer.Step(lr);
        average?.Update();
        state.Step++;
        state.TokensSeen += plan.TokensPerStep;
        state.LastLoss = stepLoss;
        if (CheckReplicasEachStep)
        {
            CheckReplicas(state.Step);
        }

        return (lr, gradNorm);
    }

    /// <summary>Loads the checkpoint to continue from, or gives every rank rank 0's initial weights.</summary>
    private RestoredCheckpoint? Resume(TrainingState state, TokenBatchSource batches, AdamW optimizer, WeightAverage? average)
    {
        if (_resumeFrom is not null || _resumeFromLatest)
        {
            if (Checkpoints is null)
            {
                throw new InvalidOperationException("Resuming needs Trainer.Checkpoints: the trainer has nowhere to read checkpoints from.");
            }

            var tensors = TrainingTensors(optimizer, average);
            var restored = _resumeFrom is not null
                ? Checkpoints.Restore(_resumeFrom, Model, tensors, Data.Tokenizer.Fingerprint)
                : Checkpoints.RestoreLatest(Model, tensors, Data.Tokenizer.Fingerprint);
            if (restored is not null)
            {
                var saved = restored.State;
                RestoreAverage(restored, average);
                if (restored.Note is { } note)
                {
                    Logger.LogWarning("{Note}", note);
                }

                var globalBatch = Collective.WorldSize * Options.BatchSize * Options.GradientAccumulationSteps;
                if (saved.WorldSize * saved.BatchSize * saved.GradientAccumulationSteps != globalBatch)
                {
                    Logger.LogWarning("The checkpoint was trained with a global batch of {Old} sequences per step; this run uses {New}. The data order will differ from the original run.", saved.WorldSize * saved.BatchSize * saved.GradientAccumulationSteps, globalBatch);
                }

                optimizer.StepCount = saved.OptimizerSteps;
                batches.Seek(new BatchPosition(saved.DataEpoch, saved.DataStep));
                state.ContinueFrom(saved);
                Logger.LogInformation("Resumed from {Checkpoint} at step {Step} ({Tokens:N0} tokens seen).", restored.Path, saved.Step, saved.TokensSeen);
                return restored;
            }

            Logger.LogInformation("No checkpoint to resume from; training from the start.");
        }

        if (Options.InitFrom is { } init && Collective.IsPrimary)
        {
            // Rank 0 reads the file; the broadcast below gives every other rank the same weights.
            var loaded = InitialWeights!.CopyInto(init, Model, Data.Tokenizer);
            Logger.LogInformation("Starting from the weights of {Source}.", loaded);
        }

        if (Collective.WorldSize > 1)
        {
            // Every replica starts from rank 0's weights.
            using var noGrad = no_grad();
            foreach (var (_, parameter) in Model.NamedParameters())
            {
                Collective.Broadcast(parameter, 0);
            }
        }

        // The average starts from the weights training starts from, not those of the constructor.
        average?.Reset();
        return null;
    }

    /// <summary>The tensors a checkpoint holds besides the model: the optimizer's moments and the weight average.</summary>
    private static IReadOnlyList<KeyValuePair<string, Tensor>> TrainingTensors(AdamW optimizer, WeightAverage? average) =>
        average is null ? optimizer.State() : [.. optimizer.State(), .. average.State()];

    /// <summary>Continues the checkpoint's weight average, or starts one from its weights when it kept none.</summary>
    private void RestoreAverage(RestoredCheckpoint restored, WeightAverage? average)
    {
        var missing = restored.MissingState;
        if (missing.FirstOrDefault(n => !n.StartsWith(WeightAverage.StatePrefix, StringComparison.Ordinal)) is { } lost)
        {
            throw new InvalidDataException($"The checkpoint '{restored.Path}' has no tensor '{lost}' ({missing.Count} training tensors missing): it was not written by this trainer. Train without resuming, or start from its weights with InitFrom.");
        }

        if (average is null)
        {
            if (restored.State.WeightAverageUpdates is not null)
            {
                Logger.LogWarning("The checkpoint {Checkpoint} keeps a weight average, but this run has none (WeightAverageDecay, --ema): evaluations and the final model will be the raw weights. Resume with the same setting to keep the average.", restored.Path);
            }

            return;
        }

        if (missing.Count > 0 || restored.State.WeightAverageUpdates is not { } updates)
        {
            Logger.LogWarning("The checkpoint {Checkpoint} was trained without a weight average: the average starts from its weights at step {Step}.", restored.Path, restored.State.Step);
            average.Reset();
            return;
        }

        average.UpdateCount = updates;
    }

    /// <summary>
    /// The run's plan: from the options; for a time budget, from measured speed (a fresh run) or the
    /// checkpoint's step count (a resumed one, which then keeps its schedule).
    /// </summary>
    private (TrainingPlan Plan, TimeBudgetPlanner? Budget) Plan(TokenBatchSource batches, TrainerState? resumed, double earlierSeconds, Func<TimeSpan> elapsed)
    {
        if (Options.TimeBudget is not { } timeBudget)
        {
            return (TrainingPlan.For(Options, batches, ContextLength), null);
        }

        var (stepSeconds, evaluationSecondsPerToken) = Probe();
        var windowTokens = (long)Options.BatchSize * ContextLength;
        var validation = Data.Validation is { } v ? EvaluationWindows.Create(v.Count, ContextLength, Options.EvalStride ?? ContextLength).Sum(w => (long)w.Length) / Collective.WorldSize : 0;
        var periodic = Data.Validation is null ? 0 : Options.EvalBatches is { } n ? Math.Min(validation, n * windowTokens) : validation;
        var budget = new TimeBudgetPlanner(Options, stepSeconds, evaluationSecondsPerToken, periodic, validation);
        AgreeOnMeasurements(budget);
        var secondsLeft = AgreeOn(SecondsLeft(timeBudget, earlierSeconds, elapsed()));
        if (resumed is not null && resumed.TotalSteps > resumed.Step)
        {
            var kept = TrainingPlan.For(Options, batches, ContextLength, resumed.TotalSteps, resumed.WarmupSteps);
            Logger.LogInformation("Time budget {Budget}: the resumed run keeps its plan of {Steps} steps (warmup {Warmup}); {Left:F0} s of the budget are left.", timeBudget, kept.TotalSteps, kept.Schedule.WarmupSteps, secondsLeft);
            return (kept, budget);
        }

        var step = resumed?.Step ?? 0;
        var totalSteps = budget.Plan(step, secondsLeft);
        if (budget.SecondsToFinish(step, totalSteps) > secondsLeft)
        {
            throw new ArgumentException(
                $"The time budget of {timeBudget} is too short for this run: one step takes about {budget.StepSeconds:F2} s and the final evaluation about {budget.FinalEvaluationSeconds:F1} s, " +
                $"so even one step needs {budget.SecondsToFinish(step, step + 1):F0} s. Give a longer --time-budget, a smaller model, or fewer validation tokens.", nameof(Options));
        }

        var plan = TrainingPlan.For(Options, batches, ContextLength, totalSteps, resumed?.WarmupSteps ?? TrainingPlan.DefaultWarmup(Options, totalSteps));
        Logger.LogInformation(
            "Time budget {Budget}: planned {Steps} steps with warmup {Warmup} ({StepMs:F0} ms per step measured, {Evaluation:F1} s per periodic evaluation, {Final:F1} s for the final one). '--max-steps {Steps} --warmup {Warmup}' replays this schedule.",
            timeBudget, plan.TotalSteps, plan.Schedule.WarmupSteps, budget.StepSeconds * 1000, budget.PeriodicEvaluationSeconds, budget.FinalEvaluationSeconds, plan.TotalSteps, plan.Schedule.WarmupSteps);
        return (plan, budget);
    }

    // A resume may train to another step count (training on for longer is a use), but never silently:
    // the learning rate from the checkpoint's step on then follows another schedule than the original run's.
    private void WarnIfTheScheduleChanged(TrainerState? saved, TrainingPlan plan)
    {
        if (saved is { TotalSteps: > 0 } && (saved.TotalSteps, saved.WarmupSteps) != (plan.TotalSteps, plan.Schedule.WarmupSteps))
        {
            Logger.LogWarning("The checkpoint's run planned {OldSteps} steps with {OldWarmup} of warmup; this run plans {NewSteps} with {NewWarmup}, so the learning rate from step {Step} on follows another schedule than the original run's. Resume with the same step settings (--max-steps, --epochs, --warmup) to continue it exactly.",
                saved.TotalSteps, saved.WarmupSteps, plan.TotalSteps, plan.Schedule.WarmupSteps, saved.Step);
        }
    }

    /// <summary>A time-budgeted run's next plan: the same one while its projected end is on time, a new step count when the measured costs drifted.</summary>
    private TrainingPlan Replan(TrainingPlan plan, TimeBudgetPlanner budget, int step, double earlierSeconds, Func<TimeSpan> elapsed)
    {
        AgreeOnMeasurements(budget);
        var secondsLeft = AgreeOn(SecondsLeft(Options.TimeBudget!.Value, earlierSeconds, elapsed()));
        // The end of warmup plans again from the steps it measured: the learning rates of warmup
        // do not depend on the step count, so this keeps '--max-steps' replays exact.
        // Before that, the plan waits for the warmup's measurements instead of following each step.
        var endOfWarmup = step == plan.Schedule.WarmupSteps;
        if (step < plan.Schedule.WarmupSteps || (!endOfWarmup && !budget.HasDrifted(step, plan.TotalSteps, secondsLeft)))
        {
            return plan;
        }

        // The schedule cannot shrink below its warmup, which steps already taken followed.
        var totalSteps = Math.Max(budget.Plan(step, secondsLeft), Math.Max(step + 1, plan.Schedule.WarmupSteps + 1));
        if (totalSteps == plan.TotalSteps)
        {
            return plan;
        }

        var afterWarmup = step > plan.Schedule.WarmupSteps;
        Logger.Log(
            afterWarmup ? LogLevel.Warning : LogLevel.Information,
            "Time budget: {StepMs:F0} ms per step measured; re-planned from {Old} to {New} steps at step {Step}. {Replay}",
            budget.StepSeconds * 1000, plan.TotalSteps, totalSteps, step,
            afterWarmup
                ? $"The learning rates of steps up to {step} followed the earlier plan, so '--max-steps {totalSteps} --warmup {plan.Schedule.WarmupSteps}' replays this run only from there on."
                : $"'--max-steps {totalSteps} --warmup {plan.Schedule.WarmupSteps}' replays this schedule.");
        return plan.WithTotalSteps(totalSteps);
    }

    // Part of the budget is kept back, so that a plan kept within its tolerance still ends on time.
    private static double SecondsLeft(TimeSpan budget, double earlierSeconds, TimeSpan elapsed) =>
        (budget.TotalSeconds * TimeBudgetPlanner.PlannedShare) - earlierSeconds - elapsed.TotalSeconds;

    /// <summary>
    /// Times one training step and one evaluation batch without changing what training does: a
    /// batch source of its own, gradients cleared and the random state restored afterwards.
    /// </summary>
    private (double StepSeconds, double EvaluationSecondsPerToken) Probe()
    {
        using var rng = torch.get_rng_state();
        var batches = CreateBatches();
        double step = 0, evaluation = 0;
        // The last round is the one measured: the first ones pay for first-touch allocations.
        for (var round = 0; round < 3; round++)
        {
            using var scope = NewDisposeScope();
            var started = TimeProvider.GetTimestamp();
            Model.train();
            _ = ForwardBackward(batches);

            step = TimeProvider.GetElapsedTime(started).TotalSeconds;
            started = TimeProvider.GetTimestamp();
            if (Data.Validation is { } validation)
            {
                // The real evaluator on one batch of the real split: a bare forward pass missed the
                // loss over the vocabulary and the masking, and estimated the final evaluation at
                // 56% of its measured time (31.5 s against 56 s in a 20-minute run).
                var scored = Evaluate(validation, maxBatches: 1).Tokens / (double)Collective.WorldSize;
                evaluation = TimeProvider.GetElapsedTime(started).TotalSeconds / Math.Max(1, scored);
            }
        }

        foreach (var (_, parameter) in Model.NamedParameters())
        {
            using var grad = parameter.grad;
            grad?.zero_();
        }

        torch.set_rng_state(rng);
        return (step, evaluation);
    }

    /// <summary>Every rank plans with rank 0's measurements, so that all choose the same step count.</summary>
    private void AgreeOnMeasurements(TimeBudgetPlanner budget)
    {
        // One rank keeps its own measurements as they are (adopting would count estimates as measured).
        if (Collective.WorldSize > 1)
        {
            budget.Adopt(FromRankZero(budget.Measurements()));
        }
    }

    private double AgreeOn(double value) => FromRankZero([value])[0];

    /// <summary>Rank 0's <paramref name="values"/> on every rank (with one rank, the values themselves).</summary>
    private double[] FromRankZero(double[] values)
    {
        if (Collective.WorldSize == 1)
        {
            return values;
        }

        using var shared = torch.tensor(values, dtype: ScalarType.Float64);
        Collective.Broadcast(shared, 0);
        return shared.data<double>().ToArray();
    }

    private TokenBatchSource CreateBatches() => new(Data.Train, new TokenBatchSourceOptions
    {
        ContextLength = ContextLength,
        BatchSize = Options.BatchSize,
        Seed = unchecked((ulong)Options.Seed),
        Order = Options.BatchOrder,
        Rank = Collective.Rank,
        WorldSize = Collective.WorldSize,
    });

    private static bool IsDue(int step, int interval) => interval > 0 && step % interval == 0;

    private void LogStart(TrainingPlan plan)
    {
        var count = Model.CountParameters();
        Logger.LogInformation(
            "Training {Params:N0} parameters ({NonEmbedding:N0} non-embedding) for {Steps} steps: {Ranks} rank(s) x batch {Batch} x accumulation {Accumulation} = global batch {Global} sequences of {Context} tokens ({TokensPerStep:N0} tokens per step); lr {Lr:G3} -> {MinLr:G3}, warmup {Warmup}.",
            count.Total, count.NonEmbedding, plan.TotalSteps, Collective.WorldSize, Options.BatchSize, Options.GradientAccumulationSteps, plan.GlobalBatchSize, ContextLength, plan.TokensPerStep, plan.Schedule.Peak, plan.Schedule.Minimum, plan.Schedule.WarmupSteps);
        var config = Model.Config;
        Logger.LogInformation(
            "Regularisation: dropout {Residual:G3} residual, {Attention:G3} attention, {Embedding:G3} embedding; weight decay {Decay:G3}; label smoothing {Smoothing:G3}; weight average {Average}.",
            config.Dropout, config.AttentionDropoutRate, config.EmbeddingDropoutRate, Options.WeightDecay, Options.LabelSmoothing, Options.WeightAverageDecay is { } d ? d.ToString("G3", CultureInfo.InvariantCulture) : "none");
    }

    private void Report(IProgress<TrainingProgress>? progress, TrainingPlan plan, TrainingState state, double tokensPerSecond, double lr, double gradNorm, TimeSpan elapsed)
    {
        var mfu = Options.PeakFlops is { } peak ? tokensPerSecond * Model.TrainingFlopsPerToken(ContextLength) / peak : (double?)null;
        var eta = TimeSpan.FromSeconds(elapsed.TotalSeconds / Math.Max(1, state.Step) * (plan.TotalSteps - state.Step));
        var report = new TrainingProgress(state.Step, plan.TotalSteps, state.LastLoss, lr, tokensPerSecond, state.TokensSeen, elapsed, eta, state.LastValidationLoss)
        {
            GradientNorm = gradNorm,
            Mfu = mfu,
            RunSeconds = state.EarlierSeconds + elapsed.TotalSeconds,
        };
        Logger.LogInformation("step {Step}/{Total} | loss {Loss:F4} | lr {Lr:E2} | {Tps:N0} tok/s{Mfu} | grad norm {Norm:F3}", state.Step, plan.TotalSteps, state.LastLoss, lr, tokensPerSecond, mfu is { } m ? $" | MFU {m:P1}" : string.Empty, gradNorm);
        Notify(o => o.OnStep(report));
        progress?.Report(report);
    }

    private void Report(EvaluationReport report)
    {
        var result = report.Result;
        TinyGptTelemetry.EvaluationLoss.Record(result.Loss, new KeyValuePair<string, object?>("tinygpt.evaluation.partial", report.Partial));
        Logger.LogInformation(
            "eval at step {Step}{Partial}: loss {Loss:F4} | token ppl {Ppl:F2}{Word}{Bpb}",
            report.Step,
            report.Partial ? " (estimate)" : string.Empty,
            result.Loss,
            result.TokenPerplexity,
            result.WordPerplexity is { } w ? $" | word ppl {w:F2}" : string.Empty,
            result.BitsPerByte is { } b ? $" | {b:F4} bits/byte" : string.Empty);
        Notify(o => o.OnEvaluation(report));
    }

    private void Notify(Action<ITrainingObserver> call)
    {
        if (!Collective.IsPrimary)
        {
            return;
        }

        foreach (var observer in Observers)
        {
            call(observer);
        }
    }

    private bool StopRequested(CancellationToken cancellationToken)
    {
        var local = cancellationToken.IsCancellationRequested ? 1.0 : 0.0;
        if (Collective.WorldSize == 1)
        {
            return local > 0;
        }

        // All ranks must stop at the same step, or the others would wait in an all-reduce forever.
        using var flag = torch.tensor(new[] { local });
        Collective.AllReduceSum(flag);
        return flag.item<double>() > 0;
    }

    private double AverageOverRanks(double value)
    {
        if (Collective.WorldSize == 1)
        {
            return value;
        }

        using var sum = torch.tensor(new[] { value });
        Collective.AllReduceSum(sum);
        return sum.item<double>() / Collective.WorldSize;
    }

    private double ClipGradients()
    {
        using var scope = NewDisposeScope();
        var withGrad = Model.NamedParameters().Select(p => p.Parameter).Where(p => p.grad is not null).ToList();
        if (Options.GradientClip > 0)
        {
            return nn.utils.clip_grad_norm_(withGrad, Options.GradientClip);
        }

        return Math.Sqrt(withGrad.Sum(p => p.grad!.square().sum().ToDouble()));
    }

    private void CheckReplicas(int step)
    {
        if (Collective.WorldSize == 1)
        {
            return;
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // A position-weighted sum differs when any element differs in practice.
        var checksum = torch.tensor(new[] { Model.NamedParameters().Sum(p => p.Parameter.to(ScalarType.Float64).reshape(-1).mul(ones(p.Parameter.NumberOfElements, ScalarType.Float64).cumsum(0)).sum().item<double>()) });
        var all = torch.zeros(Collective.WorldSize, dtype: ScalarType.Float64);
        Collective.AllGather(checksum, all);
        var values = all.data<double>().ToArray();
        if (values.Any(v => v != values[0]))
        {
            throw new InvalidOperationException($"Replicas diverged after step {step}: parameter checksums per rank are {string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}.");
        }
    }

    /// <summary>Training throughput over the steps since the last report, leaving out evaluations, checkpoints and samples.</summary>
    private sealed class ThroughputWindow
    {
        private readonly Stopwatch _watch = new();
        private long _tokens;

        public void Resume() => _watch.Start();

        public void Pause(long tokens)
        {
            _watch.Stop();
            _tokens += tokens;
        }

        public double TakeTokensPerSecond()
        {
            var rate = _tokens / Math.Max(_watch.Elapsed.TotalSeconds, 1e-9);
            _tokens = 0;
            _watch.Reset();
            return rate;
        }
    }
}
