using System.Text.Json;
using TinyGpt.Interchange;
using TinyGpt.Modeling;
using TinyGpt.Serialization;
using static TorchSharp.torch;

namespace TinyGpt.Tests.Interchange;

public sealed class HuggingFaceGpt2Tests : IDisposable
{
    private static readonly GptConfig Config = GptConfig.Tiny with { VocabSize = 50, ContextLength = 16, EmbeddingSize = 24, LayerCount = 2, HeadCount = 3 };
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "tinygpt-gpt2-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void Export_writes_gpt2_names_and_conv1d_layout_and_import_gives_identical_logits()
    {
        using var scope = NewDisposeScope();
        using var model = new GptModel(Config, seed: 3);
        model.eval();
        HuggingFaceGpt2.Export(model, _folder);

        using var content = SafeTensorsFile.Open(Path.Combine(_folder, "model.safetensors"));
        content.Entries.Keys.Should().Contain(["wte.weight", "wpe.weight", "h.1.ln_1.weight", "h.1.attn.c_attn.bias", "ln_f.bias"]);
        content.Entries["h.0.attn.c_attn.weight"].Shape.Should().Equal([24L, 72L], "GPT-2 Conv1D stores [in, out]");
        content.Entries["h.0.mlp.c_proj.weight"].Shape.Should().Equal(96, 24);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "config.json")));
        config.RootElement.GetProperty("n_head").GetInt32().Should().Be(3);
        config.RootElement.GetProperty("model_type").GetString().Should().Be("gpt2");

        using var imported = HuggingFaceGpt2.Import(_folder);
        var tokens = randint(0, Config.VocabSize, [2, 10], dtype: ScalarType.Int64);
        using var noGrad = no_grad();
        model.forward(tokens).SameAs(imported.forward(tokens)).Should().BeTrue();
    }

    [Fact]
    public void Import_rejects_weights_that_do_not_fit_the_config()
    {
        using var model = new GptModel(Config);
        HuggingFaceGpt2.Export(model, _folder);
        var path = Path.Combine(_folder, "config.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"n_embd\": 24", "\"n_embd\": 48", StringComparison.Ordinal));
        FluentActions.Invoking(() => HuggingFaceGpt2.Import(_folder)).Should().Throw<InvalidDataException>().WithMessage("*does not fit config.json*");
    }
}
