using TinyGpt.Checkpoints;
using TinyGpt.Modeling;
using TinyGpt.Tests.Data;
using TinyGpt.Tokens;
using TinyGpt.Training;

namespace TinyGpt.Tests.Training;

[Collection(TrainingCollection.Name)]
public class TimeBudgetTests
{
    private static readonly GptConfig Config = GptConfig.Tiny with { VocabSize = 256, ContextLength = 32, EmbeddingSize = 32, LayerCount = 1, HeadCount = 2, Dropout = 0.1 };

    private static TrainingData Data()
    {
        var tokenizer = new ByteTokenizer();
        var tokens = new TokenArray(tokenizer.Encode(string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 30))));
        return new TrainingData(tokens, tokenizer) { Validation = tokens };
    }

    private static TrainingOptions Options(TimeSpan? budget, int? maxSteps = null) => new()
    {
        BatchSize = 4,
        TimeBudget = budget,
        MaxSteps = maxSteps,
        LearningRate = 3e-3,
        WarmupSteps = 3,
        EvalInterval = 0,
        CheckpointInterval = 0,
        LogInterval = 1,
        Seed = 11,
        BatchOrder = BatchOrder.RandomOffsets,
    };

    [Fact]
    public void The_planner_picks_the_most_steps_whose_evaluations_and_final_work_fit_the_time_left()
    {
        var options = new TrainingOptions { EvalInterval = 10, CheckpointInterval = 0, TimeBudget = TimeSpan.FromSeconds(20) };
        // 0.1 s per step, 1 s per periodic evaluation (100 tokens), 2 s for the final one (200 tokens).
        var planner = new TimeBudgetPlanner(options, stepSeconds: 0.1, evaluationSecondsPerToken: 0.01, periodicEvaluationTokens: 100, finalEvaluationTokens: 200);

        planner.SecondsToFinish(0, 50).Should().BeApproximately((50 * 0.1) + (4 * 1.0) + 2.0, 1e-9, "steps 10, 20, 30 and 40 evaluate; step 50 is the final one");
        var steps = planner.Plan(0, 20);
        planner.SecondsToFinish(0, steps).Should().BeLessThanOrEqualTo(20);
        planner.SecondsToFinish(0, steps + 1).Should().BeGreaterThan(20);
        planner.HasDrifted(0, steps, 20).Should().BeFalse();

        // The machine became twice as slow: the same plan would end far too late.
        for (var i = 0; i < 60; i++)
        {
            planner.RecordStep(0.2);
        }

        planner.StepSeconds.Should().BeApproximately(0.2, 1e-12, "measured steps replace the first estimate");

        planner.HasDrifted(0, steps, 20).Should().BeTrue();
        planner.Plan(0, 20).Should().BeLessThan(steps);
    }

    [Fact]
    public void A_rank_that_adopts_another_ranks_measurements_plans_the_same_steps()
    {
        var options = new TrainingOptions { EvalInterval = 5 };
        var first = new TimeBudgetPlanner(options, 0.3, 0.002, 64, 640);
        first.RecordEvaluation(0.5);
        first.RecordCheckpoint(0.25);
        var second = new TimeBudgetPlanner(options, 0.1, 0.001, 64, 640);

        second.Adopt(first.Measurements());

        second.Plan(7, 100).Should().Be(first.Plan(7, 100));
    }

    [Fact]
    public void A_time_budgeted_run_ends_within_its_budget_with_a_completed_schedule_that_max_steps_replays_exactly()
    {
        var data = Data();
        var budget = TimeSpan.FromSeconds(20);
        var logger = new ListLogger();
        using var budgeted = new GptModel(Config, seed: 3);
        // Every clock reading advances 10 ms: the run's timings, and so its plan, are the same on every machine.
        var result = new Trainer(budgeted, data, Options(budget), logger) { TimeProvider = new SteppingTimeProvider(TimeSpan.FromMilliseconds(10)) }.Train();

        result.Elapsed.Should().BeLessThanOrEqualTo(budget);
        result.Elapsed.Should().BeGreaterThan(budget * 0.9, "the plan uses the budget, not a safe fraction of it");
        logger.Messages.Should().ContainMatch("Time budget 00:00:20: planned * steps with warmup 3 *");
        logger.Messages.Should().NotContainMatch("*replays this run only from there on*", "nothing drifted after warmup");
        var lastStep = logger.Messages.Last(m => m.StartsWith($"step {result.Steps}/", StringComparison.Ordinal));
        lastStep.Should().Contain($"step {result.Steps}/{result.Steps} ", "the run ends at the end of its schedule").And.Contain("lr 3.00E-004", "the last step uses the minimum learning rate");

        using var replayed = new GptModel(Config, seed: 3);
        new Trainer(replayed, data, Options(null, maxSteps: result.Steps)).Train();

        var weights = budgeted.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (name, parameter) in replayed.NamedParameters())
        {
            parameter.SameAs(weights[name]).Should().BeTrue(name);
        }
    }

    [Fact]
    public void A_resumed_time_budgeted_run_keeps_the_step_count_its_checkpoint_holds()
    {
        using var folder = new TempDirectory();
        var data = Data();
        var options = Options(TimeSpan.FromSeconds(20));
        var clock = new SteppingTimeProvider(TimeSpan.FromMilliseconds(10));
        int planned;
        using (var first = new GptModel(Config, seed: 4))
        {
            using var cts = new CancellationTokenSource();
            var trainer = new Trainer(first, data, options) { TimeProvider = clock, Checkpoints = new CheckpointStore(FolderTraining.CheckpointsOf(folder.Path), 2) };
            var progress = new InlineProgress<TrainingProgress>(p =>
            {
                if (p.Step == 8)
                {
                    cts.Cancel();
                }
            });
            var checkpoint = FluentActions.Invoking(() => trainer.Train(progress, cts.Token)).Should().Throw<TrainingStoppedException>().Which.CheckpointPath!;
            planned = CheckpointStore.ReadState(checkpoint).TotalSteps;
        }

        var logger = new ListLogger();
        using var resumed = new GptModel(Config, seed: 99);
        var resumer = new Trainer(resumed, data, options, logger) { TimeProvider = clock, Checkpoints = new CheckpointStore(FolderTraining.CheckpointsOf(folder.Path), 2) };
        resumer.ResumeFromLatest();
        var result = resumer.Train();

        logger.Messages.Should().ContainMatch($"Time budget 00:00:20: the resumed run keeps its plan of {planned} steps (warmup 3)*");
        result.Steps.Should().BeGreaterThan(8);
    }

    [Fact]
    public void A_time_budget_with_max_steps_or_too_short_for_one_step_is_refused_with_a_message_that_says_so()
    {
        var data = Data();
        using var model = new GptModel(Config, seed: 1);

        FluentActions.Invoking(() => new Trainer(model, data, Options(TimeSpan.FromMinutes(1), maxSteps: 10)))
            .Should().Throw<ArgumentException>().WithMessage("*TimeBudget sets the step count itself*MaxSteps*");

        var tooShort = new Trainer(model, data, Options(TimeSpan.FromSeconds(0.5))) { TimeProvider = new SteppingTimeProvider(TimeSpan.FromMilliseconds(50)) };
        FluentActions.Invoking(() => tooShort.Train()).Should().Throw<ArgumentException>().WithMessage("The time budget of 00:00:00.5000000 is too short for this run*");
    }
}
