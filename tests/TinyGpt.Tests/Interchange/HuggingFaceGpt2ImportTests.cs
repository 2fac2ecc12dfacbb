using System.Text.Json.Nodes;
using TinyGpt.Interchange;
using TinyGpt.Modeling;
using TinyGpt.Tests.Data;
using static TorchSharp.torch;

namespace TinyGpt.Tests.Interchange;

/// <summary>Loading Hugging Face GPT-2 folders that TinyGpt did not write, in the variations found in the wild.</summary>
public sealed class HuggingFaceGpt2ImportTests
{
    private static readonly long[] Tokens = [3, 17, 0, 39, 8, 8, 25, 11, 2, 30];

    public static TheoryData<string, HuggingFaceCheckpointWriter> Variants() => new()
    {
        { "GPT2LMHeadModel, tied, prefixed", new HuggingFaceCheckpointWriter() },
        { "GPT2Model names, no prefix, legacy buffers", new HuggingFaceCheckpointWriter { Prefix = false, LegacyBuffers = true } },
        { "untied lm_head", new HuggingFaceCheckpointWriter { Tied = false, Seed = 6 } },
        { "F16 tensors in two shards", new HuggingFaceCheckpointWriter { Float16 = true, Shards = 2, LegacyBuffers = true } },
        { "exact gelu, n_inner, epsilon 1e-3", new HuggingFaceCheckpointWriter { Activation = "gelu", Inner = 24, Epsilon = 1e-3 } },
        { "relu, unscaled attention", new HuggingFaceCheckpointWriter { Activation = "relu", ScaleAttentionWeights = false, Width = 8, Heads = 2 } },
        { "silu, scaled by inverse layer index, 3 layers", new HuggingFaceCheckpointWriter { Activation = "silu", ScaleByInverseLayer = true, Layers = 3 } },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Imported_model_computes_what_gpt2_computes(string variant, HuggingFaceCheckpointWriter writer)
    {
        using var folder = new TempDirectory();
        writer.Write(folder.Path);
        using var scope = NewDisposeScope();
        using var model = HuggingFaceGpt2.Import(folder.Path);
        using var noGrad = no_grad();
        var logits = model.forward(tensor(Tokens).unsqueeze(0))[0].to(ScalarType.Float64);
        var expected = ReferenceGpt2Forward.Logits(writer, Tokens);
        logits.sub(expected).abs().max().item<double>().Should().BeLessThan(1e-4, variant);
        model.Config.TieEmbeddings.Should().Be(writer.Tied);
    }

    [Fact]
    public void The_loader_recognises_a_folder_and_reads_its_config_without_the_weights()
    {
        using var folder = new TempDirectory();
        new HuggingFaceCheckpointWriter { Inner = 40, Epsilon = 1e-6, Activation = "gelu_pytorch_tanh" }.Write(folder.Path);
        var config = ModelLoader.ReadConfig(folder.Path);
        config.Should().BeEquivalentTo(new { VocabSize = 40, ContextLength = 16, EmbeddingSize = 16, LayerCount = 2, HeadCount = 2, FeedForwardSize = 40, LayerNormEpsilon = 1e-6, Activation = GptActivation.GeluTanh, Dropout = 0.1, AttentionDropout = (double?)null, EmbeddingDropout = (double?)null });
        var loaded = ModelLoader.Load(folder.Path);
        using (loaded.Model)
        {
            loaded.Kind.Should().Be(ModelFileKind.HuggingFaceGpt2);
            loaded.Model.Config.Should().Be(config);
        }
    }

    public static TheoryData<string, Action<HuggingFaceCheckpointWriter>, string> Refusals() => new()
    {
        { "another architecture", w => w.ConfigOverrides["model_type"] = "gpt_neox", "*model_type is 'gpt_neox'*" },
        { "cross-attention", w => w.ConfigOverrides["add_cross_attention"] = true, "*add_cross_attention*" },
        { "an activation TinyGpt lacks", w => w.ConfigOverrides["activation_function"] = "quick_gelu", "*activation_function 'quick_gelu' is not supported*" },
        { "a missing field", w => w.ConfigOverrides["n_embd"] = null, "*n_embd*" },
        { "a field of the wrong type", w => w.ConfigOverrides["layer_norm_epsilon"] = "small", "*layer_norm_epsilon*not a number*" },
        { "a classification head", w => w.ExtraTensors["score.weight"] = (new float[2 * 16], [2, 16]), "*no place for*score.weight*" },
        { "a tied head that differs from the embedding", w => w.ExtraTensors["lm_head.weight"] = (new float[40 * 16], [40, 16]), "*lm_head.weight that differs*tie_word_embeddings*" },
        { "an untied config without its head", w => w.ConfigOverrides["tie_word_embeddings"] = false, "*lacks 1 tensor*lm_head.weight*" },
        { "weights of another width", w => w.ConfigOverrides["n_embd"] = 32, "*does not fit its config.json*" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_folder_the_model_cannot_compute_is_refused_with_the_reason(string what, Action<HuggingFaceCheckpointWriter> change, string message)
    {
        using var folder = new TempDirectory();
        var writer = new HuggingFaceCheckpointWriter();
        change(writer);
        writer.Write(folder.Path);
        FluentActions.Invoking(() => HuggingFaceGpt2.Import(folder.Path)).Should().Throw<InvalidDataException>(what).WithMessage(message);
    }

    [Fact]
    public void A_pickle_only_folder_is_refused_with_how_to_convert_it()
    {
        using var folder = new TempDirectory();
        new HuggingFaceCheckpointWriter().Write(folder.Path);
        File.Move(Path.Combine(folder.Path, "model.safetensors"), Path.Combine(folder.Path, "pytorch_model.bin"));
        FluentActions.Invoking(() => HuggingFaceGpt2.Import(folder.Path)).Should().Throw<InvalidDataException>().WithMessage("*pytorch_model.bin*safe_serialization=True*");
    }

    [Fact]
    public void A_shard_index_that_names_a_missing_shard_is_refused()
    {
        using var folder = new TempDirectory();
        new HuggingFaceCheckpointWriter { Shards = 2 }.Write(folder.Path);
        File.Delete(Path.Combine(folder.Path, "model-00002-of-00002.safetensors"));
        FluentActions.Invoking(() => HuggingFaceGpt2.Import(folder.Path)).Should().Throw<InvalidDataException>().WithMessage("*model-00002-of-00002.safetensors*missing*");
    }

    [Fact]
    public void A_tied_head_stored_beside_the_embedding_is_accepted_when_it_is_the_embedding()
    {
        using var folder = new TempDirectory();
        var writer = new HuggingFaceCheckpointWriter();
        writer.Write(folder.Path);
        var rewritten = new HuggingFaceCheckpointWriter { ExtraTensors = { ["lm_head.weight"] = writer.Weights["wte.weight"] } };
        rewritten.Write(folder.Path);
        using var model = HuggingFaceGpt2.Import(folder.Path);
        model.Config.TieEmbeddings.Should().BeTrue();
    }

    [Fact]
    public void Config_json_round_trips_every_setting_that_changes_the_computation()
    {
        using var folder = new TempDirectory();
        var config = new GptConfig
        {
            VocabSize = 30,
            ContextLength = 12,
            EmbeddingSize = 12,
            LayerCount = 2,
            HeadCount = 3,
            FeedForwardSize = 20,
            Activation = GptActivation.Silu,
            LayerNormEpsilon = 1e-4,
            ScaleAttentionWeights = false,
            ScaleAttentionByInverseLayerIndex = true,
            TieEmbeddings = false,
            Dropout = 0.05,
            AttentionDropout = 0.0,
            EmbeddingDropout = 0.2,
        };
        using var model = new GptModel(config, seed: 2);
        model.eval();
        HuggingFaceGpt2.Export(model, folder.Path);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder.Path, "config.json")))!;
        json["activation_function"]!.GetValue<string>().Should().Be("silu");
        json["tie_word_embeddings"]!.GetValue<bool>().Should().BeFalse();
        (json["resid_pdrop"]!.GetValue<double>(), json["attn_pdrop"]!.GetValue<double>(), json["embd_pdrop"]!.GetValue<double>()).Should().Be((0.05, 0.0, 0.2));
        HuggingFaceGpt2.ReadConfig(folder.Path).Should().Be(config);
        using var imported = HuggingFaceGpt2.Import(folder.Path);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = tensor(new long[] { 1, 5, 29, 7, 7, 0 }).unsqueeze(0);
        imported.forward(tokens).eq(model.forward(tokens)).all().item<bool>().Should().BeTrue();
    }
}
