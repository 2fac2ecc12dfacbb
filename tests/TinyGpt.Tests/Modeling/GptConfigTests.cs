using TinyGpt.Modeling;
using TinyGpt.Validation;

namespace TinyGpt.Tests.Modeling;

public class GptConfigTests
{
    [Theory]
    [InlineData(nameof(GptConfig.VocabSize))]
    [InlineData(nameof(GptConfig.ContextLength))]
    [InlineData(nameof(GptConfig.EmbeddingSize))]
    [InlineData(nameof(GptConfig.LayerCount))]
    [InlineData(nameof(GptConfig.HeadCount))]
    public void Non_positive_sizes_are_rejected_naming_the_field(string field)
    {
        var config = field switch
        {
            nameof(GptConfig.VocabSize) => GptConfig.Tiny with { VocabSize = 0 },
            nameof(GptConfig.ContextLength) => GptConfig.Tiny with { ContextLength = -1 },
            nameof(GptConfig.EmbeddingSize) => GptConfig.Tiny with { EmbeddingSize = 0 },
            nameof(GptConfig.LayerCount) => GptConfig.Tiny with { LayerCount = 0 },
            _ => GptConfig.Tiny with { HeadCount = 0 },
        };
        var act = () => config.EnsureValid();
        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == field && e.Message.Contains(field));
    }

    [Fact]
    public void Width_not_divisible_by_heads_is_rejected()
    {
        var act = () => (GptConfig.Tiny with { EmbeddingSize = 100, HeadCount = 3 }).EnsureValid();
        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == nameof(GptConfig.EmbeddingSize)).WithMessage("*divisible*");
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void Dropout_outside_zero_to_one_is_rejected(double dropout)
    {
        var act = () => (GptConfig.Tiny with { Dropout = dropout }).EnsureValid();
        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == nameof(GptConfig.Dropout));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    public void Attention_and_embedding_dropout_outside_zero_to_one_are_rejected(double dropout)
    {
        var attention = () => (GptConfig.Tiny with { AttentionDropout = dropout }).EnsureValid();
        attention.Should().Throw<ArgumentException>().Where(e => e.ParamName == nameof(GptConfig.AttentionDropout));
        var embedding = () => (GptConfig.Tiny with { EmbeddingDropout = dropout }).EnsureValid();
        embedding.Should().Throw<ArgumentException>().Where(e => e.ParamName == nameof(GptConfig.EmbeddingDropout));
    }

    [Fact]
    public void Attention_and_embedding_dropout_default_to_the_residual_dropout()
    {
        var shared = GptConfig.Small;
        (shared.AttentionDropoutRate, shared.EmbeddingDropoutRate).Should().Be((0.1, 0.1));
        var apart = shared with { AttentionDropout = 0.0, EmbeddingDropout = 0.3 };
        (apart.Dropout, apart.AttentionDropoutRate, apart.EmbeddingDropoutRate).Should().Be((0.1, 0.0, 0.3));
    }

    [Fact]
    public void All_problems_are_reported_together()
    {
        var problems = (GptConfig.Tiny with { VocabSize = 0, LayerCount = 0, Dropout = 2 }).Validate();
        problems.Should().HaveCount(3);
    }

    [Fact]
    public void Seed_preset_is_the_original_projects_default()
    {
        var seed = GptConfig.FromPreset(GptPreset.Seed);
        seed.Should().Be(GptConfig.Seed);
        (seed.VocabSize, seed.EmbeddingSize, seed.LayerCount, seed.HeadCount, seed.ContextLength, seed.Dropout)
            .Should().Be((16_000, 512, 4, 8, 512, 0.1));
        seed.TieEmbeddings.Should().BeTrue();
        var unknown = () => GptConfig.FromPreset((GptPreset)42);
        unknown.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*preset*");
    }
}
