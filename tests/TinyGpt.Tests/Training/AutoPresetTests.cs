using TinyGpt.Modeling;
using TinyGpt.Training;

namespace TinyGpt.Tests.Training;

// One test checks that timing leaves TorchSharp's process-wide random generator where it was,
// which only holds when no other test draws from it meanwhile.
[Collection(TrainingCollection.Name)]
public class AutoPresetTests
{
    private static GptConfig Shape(GptPreset preset) => GptConfig.FromPreset(preset) with { VocabSize = 100 };

    [Fact]
    public void The_largest_preset_that_fits_the_wanted_passes_is_chosen_and_smaller_ones_are_not_timed()
    {
        var timed = new List<int>();
        // 100 s x 0.9 / 1 s = 90 steps of 10 x 256 tokens: 230,400 tokens, 7.2 passes over 32,000.
        var choice = AutoPreset.Choose(Shape, trainingTokens: 32_000, TimeSpan.FromSeconds(100), sequencesPerStep: 10, config =>
        {
            timed.Add(config.EmbeddingSize);
            return config.EmbeddingSize == GptConfig.Seed.EmbeddingSize ? 10.0 : 1.0;
        });

        choice.Preset.Should().Be(GptPreset.Small);
        choice.Config.Should().Be(Shape(GptPreset.Small));
        timed.Should().Equal(GptConfig.Small.EmbeddingSize, GptConfig.Seed.EmbeddingSize);
        choice.Measured.Select(m => m.Preset).Should().Equal(GptPreset.Small, GptPreset.Seed);
        choice.Measured[0].Epochs.Should().BeApproximately(7.2, 1e-9);
        choice.Measured[1].Epochs.Should().BeApproximately(9 * 10 * 512 / 32_000.0, 1e-9, "9 steps of 10 sequences of the seed preset's 512 tokens");
        choice.ToString().Should().StartWith("small: the next larger preset fits fewer than 7 passes").And.Contain("seed 10.00 s per step");
    }

    [Fact]
    public void Tiny_is_the_fallback_and_seed_is_not_timed_when_small_falls_short()
    {
        var choice = AutoPreset.Choose(Shape, trainingTokens: 1_000_000, TimeSpan.FromMinutes(5), sequencesPerStep: 16, _ => 1.0);
        choice.Preset.Should().Be(GptPreset.Tiny);
        choice.Measured.Should().ContainSingle().Which.Preset.Should().Be(GptPreset.Small);
        choice.ToString().Should().StartWith("tiny: the next larger preset fits fewer than 7 passes");
    }

    [Fact]
    public void The_seed_preset_is_chosen_when_the_budget_is_long_enough_for_it()
    {
        var choice = AutoPreset.Choose(Shape, trainingTokens: 1_000, TimeSpan.FromMinutes(1), sequencesPerStep: 1, _ => 1.0);
        choice.Preset.Should().Be(GptPreset.Seed);
        choice.ToString().Should().StartWith("seed: the largest preset, and it fits 7 passes");
    }

    [Fact]
    public void Timing_runs_real_training_passes_and_restores_the_random_state()
    {
        GptConfig Small(GptPreset preset) => GptConfig.Tiny with { VocabSize = 50, ContextLength = 16, EmbeddingSize = 16 * (1 + (int)preset), LayerCount = 1, HeadCount = 2 };
        TorchSharp.torch.manual_seed(3);
        using var before = TorchSharp.torch.rand(4);
        TorchSharp.torch.manual_seed(3);
        var choice = AutoPreset.Choose(Small, trainingTokens: 1_000_000_000, TimeSpan.FromSeconds(10), sequencesPerStep: 4, batchSize: 2);
        using var after = TorchSharp.torch.rand(4);
        after.allclose(before, rtol: 0, atol: 0).Should().BeTrue("timing must not move the seeded random stream the run then uses");
        choice.Preset.Should().Be(GptPreset.Tiny, "a billion tokens fit no 7 passes in 10 s");
        choice.Measured.Should().ContainSingle().Which.StepSeconds.Should().BePositive();
    }

    [Fact]
    public void A_cancelled_token_stops_the_timing()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var act = () => AutoPreset.Choose(Shape, trainingTokens: 1_000, TimeSpan.FromMinutes(1), sequencesPerStep: 2, batchSize: 2, cancellationToken: cancelled.Token);
        act.Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void Nonsense_arguments_are_refused()
    {
        var act = () => AutoPreset.Choose(Shape, trainingTokens: 0, TimeSpan.FromMinutes(1), sequencesPerStep: 1, _ => 1.0);
        act.Should().Throw<ArgumentOutOfRangeException>();
        act = () => AutoPreset.Choose(Shape, trainingTokens: 10, TimeSpan.Zero, sequencesPerStep: 1, _ => 1.0);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}
