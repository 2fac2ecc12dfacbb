using TinyGpt.Modeling;
using TinyGpt.Tests.Data;
using TinyGpt.Tokens;
using TinyGpt.Training;

namespace TinyGpt.Tests.Training;

[Collection(TrainingCollection.Name)]
public class DynamicEvaluatorTests
{
    private static readonly GptConfig Config = GptConfig.Tiny with { VocabSize = 256, ContextLength = 32, EmbeddingSize = 32, LayerCount = 1, HeadCount = 2, Dropout = 0.2 };

    private static TokenArray Repeated(int repeats) => new(new ByteTokenizer().Encode(string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", repeats))));

    [Fact]
    public void An_untrained_model_adapts_to_repeated_text_as_it_reads_it_and_its_weights_and_mode_are_unchanged_afterwards()
    {
        using var model = new GptModel(Config, seed: 2);
        model.train();
        var before = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.detach().clone());
        var tokens = Repeated(20);

        var staticResult = ModelEvaluator.Evaluate(model, tokens);
        var dynamicResult = DynamicEvaluator.Evaluate(model, tokens, new DynamicEvaluationSettings { LearningRate = 0.5, Words = 180 });

        dynamicResult.Tokens.Should().Be(staticResult.Tokens, "both score every predictable token once");
        dynamicResult.Loss.Should().BeLessThan(staticResult.Loss * 0.8, "the text repeats, so learning from what was read predicts what follows");
        dynamicResult.WordPerplexity.Should().NotBeNull();
        model.training.Should().BeTrue("the model is left in the mode it was in");
        foreach (var (name, parameter) in model.NamedParameters())
        {
            parameter.SameAs(before[name]).Should().BeTrue($"{name} is put back exactly");
        }

        ModelEvaluator.Evaluate(model, tokens).Loss.Should().Be(staticResult.Loss);
    }

    [Fact]
    public void Every_token_is_scored_before_the_model_learns_from_it()
    {
        using var model = new GptModel(Config, seed: 3);
        // One segment: nothing has been learned yet when it is scored.
        var tokens = new TokenArray(new ByteTokenizer().Encode("the quick brown fox jumps over the lazy dog. ")[..(Config.ContextLength + 1)]);

        var dynamicResult = DynamicEvaluator.Evaluate(model, tokens, new DynamicEvaluationSettings { LearningRate = 1.0 });

        dynamicResult.Loss.Should().BeApproximately(ModelEvaluator.Evaluate(model, tokens).Loss, 1e-5);
    }

    [Fact]
    public void Cancelling_puts_the_weights_back_and_bad_settings_are_refused_by_name()
    {
        using var model = new GptModel(Config, seed: 4);
        var before = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.detach().clone());
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        FluentActions.Invoking(() => DynamicEvaluator.Evaluate(model, Repeated(5), cancellationToken: cts.Token)).Should().Throw<OperationCanceledException>();
        foreach (var (name, parameter) in model.NamedParameters())
        {
            parameter.SameAs(before[name]).Should().BeTrue(name);
        }

        FluentActions.Invoking(() => DynamicEvaluator.Evaluate(model, Repeated(5), new DynamicEvaluationSettings { Decay = 1.5 }))
            .Should().Throw<ArgumentException>().WithMessage("*Decay must be in [0, 1)*");
        FluentActions.Invoking(() => DynamicEvaluator.Evaluate(model, Repeated(5), new DynamicEvaluationSettings { SegmentLength = 64 }))
            .Should().Throw<ArgumentException>().WithMessage("*segment length (64) is longer than the model's context length (32)*");
    }
}
