using System.Text.Json;
using System.Text.Json.Nodes;
using TinyGpt.Interchange;
using TinyGpt.Modeling;
using TinyGpt.Serialization;
using TinyGpt.Tokenization;
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
        content.Entries.Keys.Should().Contain(["transformer.wte.weight", "transformer.wpe.weight", "transformer.h.1.ln_1.weight", "transformer.h.1.attn.c_attn.bias", "transformer.ln_f.bias"]);
        content.Entries.Keys.Should().NotContain("lm_head.weight", "a tied head is the embedding, which save_pretrained stores once");
        content.Entries["transformer.h.0.attn.c_attn.weight"].Shape.Should().Equal([24L, 72L], "GPT-2 Conv1D stores [in, out]");
        content.Entries["transformer.h.0.mlp.c_proj.weight"].Shape.Should().Equal(96, 24);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "config.json")));
        config.RootElement.GetProperty("n_head").GetInt32().Should().Be(3);
        config.RootElement.GetProperty("model_type").GetString().Should().Be("gpt2");

        using var imported = HuggingFaceGpt2.Import(_folder);
        var tokens = randint(0, Config.VocabSize, [2, 10], dtype: ScalarType.Int64);
        using var noGrad = no_grad();
        model.forward(tokens).SameAs(imported.forward(tokens)).Should().BeTrue();
    }

    [Fact]
    public void Export_with_a_tokenizer_writes_what_hugging_face_needs_to_tokenize_and_to_stop()
    {
        var tokenizer = TextTokenizers.TrainAndSave([WriteCorpus()], Path.Combine(_folder, "trained"), new BpeTrainerOptions { VocabSize = 300 });
        using var model = new GptModel(Config with { VocabSize = tokenizer.VocabSize });
        var output = Path.Combine(_folder, "export");
        HuggingFaceGpt2.Export(model, output, tokenizer);

        var eos = tokenizer.EndOfTextId!.Value;
        var bos = tokenizer.SpecialTokens["<s>"];
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "config.json")))!;
        config["eos_token_id"]!.GetValue<int>().Should().Be(eos);
        config["bos_token_id"]!.GetValue<int>().Should().Be(bos);
        var generation = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "generation_config.json")))!;
        generation["eos_token_id"]!.GetValue<int>().Should().Be(eos);
        var special = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "special_tokens_map.json")))!;
        special["eos_token"]!.GetValue<string>().Should().Be("</s>");
        special["unk_token"]!.GetValue<string>().Should().Be("<unk>");
        var tokenizerConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "tokenizer_config.json")))!;
        tokenizerConfig["tokenizer_class"]!.GetValue<string>().Should().Be("GPT2Tokenizer");
        tokenizerConfig["added_tokens_decoder"]![eos.ToString(System.Globalization.CultureInfo.InvariantCulture)]!["content"]!.GetValue<string>().Should().Be("</s>");

        var reloaded = HuggingFaceGpt2.LoadTokenizer(output)!;
        reloaded.Fingerprint.Should().Be(tokenizer.Fingerprint);
    }

    [Fact]
    public void The_pretrained_gpt2_tokenizer_exports_as_vocab_and_merges_that_encode_the_same_ids()
    {
        var gpt2 = Gpt2TextTokenizer.Instance;
        var vocabulary = gpt2.ToVocabulary();
        vocabulary.Tokens.Should().HaveCount(50_257);
        vocabulary.Merges.Should().HaveCount(50_000, "GPT-2 has 256 byte tokens, 50,000 merges and <|endoftext|>");
        vocabulary.Merges[0].Should().Be(new BpeMerge("\u0120", "t"));
        var asBpe = new BpeTextTokenizer(vocabulary);
        var text = "Hello world! The Ünïcödé café costs 3.50 €, doesn't it?\n\n  Indented   spaces\tand tabs 12345 日本語";
        asBpe.Encode(text).Should().Equal(gpt2.Encode(text));
        asBpe.EndOfTextId.Should().Be(50_256);
    }

    [Fact]
    public void Import_rejects_weights_that_do_not_fit_the_config()
    {
        using var model = new GptModel(Config);
        HuggingFaceGpt2.Export(model, _folder);
        var path = Path.Combine(_folder, "config.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"n_embd\": 24", "\"n_embd\": 48", StringComparison.Ordinal));
        FluentActions.Invoking(() => HuggingFaceGpt2.Import(_folder)).Should().Throw<InvalidDataException>().WithMessage("*does not fit its config.json*");
    }

    private string WriteCorpus()
    {
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, "corpus.txt");
        File.WriteAllLines(path, Enumerable.Range(0, 200).Select(i => $"The quick brown fox {i} jumps over the lazy dog, again and again."));
        return path;
    }
}
