using TinyGpt.Checkpoints;
using TinyGpt.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Tests.Modeling;

public class GptModelTests
{
    private static readonly GptConfig Config = GptConfig.Tiny with { VocabSize = 97, ContextLength = 32, EmbeddingSize = 64, LayerCount = 3, HeadCount = 4 };

    private static Tensor RandomTokens(int batch, int time, int seed)
    {
        using var generator = new Generator((ulong)seed, torch.device("cpu"));
        return randint(0, Config.VocabSize, [batch, time], generator: generator, dtype: ScalarType.Int64);
    }

    [Fact]
    public void Changing_a_future_token_changes_no_earlier_logit()
    {
        using var scope = NewDisposeScope();
        using var model = new GptModel(Config, seed: 1);
        model.eval();
        var tokens = RandomTokens(2, 20, seed: 2);
        var changed = tokens.clone();
        using var one = 1.ToScalar();
        using var vocab = Config.VocabSize.ToScalar();
        changed[.., 12] = changed[.., 12].add(one, one).remainder(vocab);

        using var noGrad = no_grad();
        var before = model.forward(tokens);
        var after = model.forward(changed);

        before[.., ..12].allclose(after[.., ..12], rtol: 0, atol: 0).Should().BeTrue("positions before 12 cannot see token 12");
        before[.., 12..].allclose(after[.., 12..], atol: 1e-4).Should().BeFalse("position 12 and later do see it");
    }

    [Theory]
    [InlineData(0.0, 0.0, 0.0, false)]
    [InlineData(0.3, 0.0, 0.0, true)]
    [InlineData(0.0, 0.3, 0.0, true)]
    [InlineData(0.0, 0.0, 0.3, true)]
    public void Each_dropout_acts_in_training_on_its_own_and_none_acts_in_evaluation(double residual, double attention, double embedding, bool random)
    {
        using var scope = NewDisposeScope();
        using var model = new GptModel(Config with { Dropout = residual, AttentionDropout = attention, EmbeddingDropout = embedding }, seed: 1);
        var tokens = RandomTokens(2, 20, seed: 2);
        using var noGrad = no_grad();
        model.eval();
        var evaluated = model.forward(tokens);
        model.train();
        var trained = model.forward(tokens);

        trained.allclose(evaluated, rtol: 0, atol: 1e-6).Should().Be(!random, "only a dropout above 0 changes the training forward");
        model.eval();
        model.forward(tokens).allclose(evaluated, rtol: 0, atol: 0).Should().BeTrue("evaluation never drops");
    }

    [Fact]
    public void Full_forward_token_by_token_decode_and_uneven_chunked_prefill_agree()
    {
        using var scope = NewDisposeScope();
        using var model = new GptModel(Config, seed: 3);
        model.eval();
        var tokens = RandomTokens(2, 29, seed: 4);
        using var noGrad = no_grad();

        var full = model.forward(tokens);

        using var stepCache = model.CreateCache(batchSize: 2);
        var stepwise = cat(Enumerable.Range(0, 29).Select(t => model.forward(tokens[.., t..(t + 1)], stepCache)).ToArray(), 1);

        using var chunkCache = model.CreateCache(batchSize: 2);
        var chunks = new[] { (0, 5), (5, 6), (6, 13), (13, 14), (14, 29) };
        var chunked = cat(chunks.Select(c => model.forward(tokens[.., c.Item1..c.Item2], chunkCache)).ToArray(), 1);

        (stepwise - full).abs().max().item<float>().Should().BeLessThan(1e-5f);
        (chunked - full).abs().max().item<float>().Should().BeLessThan(1e-5f);
        stepCache.Length.Should().Be(29);
        chunkCache.Length.Should().Be(29);
    }

    [Fact]
    public void Last_position_only_matches_the_last_row_of_the_full_output()
    {
        using var scope = NewDisposeScope();
        using var model = new GptModel(Config, seed: 5);
        model.eval();
        var tokens = RandomTokens(1, 10, seed: 6);
        using var noGrad = no_grad();
        var full = model.forward(tokens);
        var last = model.forward(tokens, lastPositionOnly: true);
        last.shape.Should().Equal(1, 1, Config.VocabSize);
        (last[.., 0] - full[.., -1]).abs().max().item<float>().Should().BeLessThan(1e-6f);
    }

    [Fact]
    public void Going_past_the_context_is_a_clear_error()
    {
        using var scope = NewDisposeScope();
        using var model = new GptModel(Config);
        using var cache = model.CreateCache();
        using var noGrad = no_grad();
        model.forward(RandomTokens(1, 30, 7), cache);
        var act = () => model.forward(RandomTokens(1, 3, 8), cache);
        act.Should().Throw<ArgumentException>().WithMessage("*context length is 32*30 cached + 3 new*");
        var tooLong = () => model.forward(RandomTokens(1, 33, 9));
        tooLong.Should().Throw<ArgumentException>().WithMessage("*context length*");
    }

    [Fact]
    public void Same_seed_gives_same_weights_and_gpt2_initialisation_scales_residual_projections()
    {
        using var a = new GptModel(Config, seed: 11);
        using var b = new GptModel(Config, seed: 11);
        using var c = new GptModel(Config, seed: 12);
        var pa = a.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        var pb = b.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        var pc = c.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        pa.Keys.Should().Contain(["wte.weight", "wpe.weight", "h.0.attn.c_attn.weight", "h.0.attn.c_proj.weight", "h.0.mlp.c_fc.weight", "h.0.mlp.c_proj.weight", "h.0.ln_1.weight", "ln_f.weight"]);
        pa.Keys.Should().NotContain("lm_head.weight", "the LM head is tied to wte");
        foreach (var name in pa.Keys)
        {
            pa[name].SameAs(pb[name]).Should().BeTrue(name);
        }

        pa["wte.weight"].SameAs(pc["wte.weight"]).Should().BeFalse();
        pa["wte.weight"].std().item<float>().Should().BeApproximately(0.02f, 0.002f);
        var residualStd = 0.02 / Math.Sqrt(2 * Config.LayerCount);
        pa["h.1.mlp.c_proj.weight"].std().item<float>().Should().BeApproximately((float)residualStd, 0.001f);
        pa["h.1.mlp.c_fc.bias"].abs().sum().item<float>().Should().Be(0);
    }

    [Fact]
    public void Parameter_count_reports_total_and_non_embedding()
    {
        using var model = new GptModel(Config);
        var count = model.CountParameters();
        long c = Config.EmbeddingSize, v = Config.VocabSize, t = Config.ContextLength, l = Config.LayerCount;
        var perBlock = (2 * 2 * c) + (c * 3 * c) + (3 * c) + (c * c) + c + (c * 4 * c) + (4 * c) + (4 * c * c) + c;
        count.Embedding.Should().Be((v * c) + (t * c));
        count.NonEmbedding.Should().Be((l * perBlock) + (2 * c));
        count.Total.Should().Be(count.Embedding + count.NonEmbedding);

        using var untied = new GptModel(Config with { TieEmbeddings = false });
        untied.CountParameters().Total.Should().Be(count.Total + (v * c));
    }

    [Fact]
    public void Save_then_load_gives_identical_logits()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(Path.GetTempPath(), $"tinygpt-model-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var model = new GptModel(Config with { TieEmbeddings = false, Bias = false }, seed: 21);
            model.eval();
            ModelFile.Save(model, path);
            using var loaded = ModelFile.Load(path);
            loaded.Config.Should().Be(model.Config);
            var tokens = RandomTokens(2, 16, 22);
            using var noGrad = no_grad();
            model.forward(tokens).SameAs(loaded.forward(tokens)).Should().BeTrue();
        }
        finally
        {
            File.Delete(path);
        }
    }
}
