using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using TinyGpt.Modeling;
using TinyGpt.Tokenization;
using TinyGpt.Validation;

namespace TinyGpt.Interchange;

/// <summary>
/// Maps a Hugging Face <c>GPT2Config</c> (<c>config.json</c>) to a <see cref="GptConfig"/> and back.
/// Every field that changes what the model computes is either honoured or refused with the reason;
/// fields that only matter to other tools (summary heads, <c>use_cache</c>, task parameters) are
/// read by nobody and left alone.
/// </summary>
internal static class HuggingFaceGpt2Config
{
    // Hugging Face's activation names, grouped by the function they compute.
    private static readonly Dictionary<string, GptActivation> Activations = new(StringComparer.Ordinal)
    {
        ["gelu_new"] = GptActivation.GeluTanh,
        ["gelu_pytorch_tanh"] = GptActivation.GeluTanh,
        ["gelu_fast"] = GptActivation.GeluTanh,
        ["gelu"] = GptActivation.Gelu,
        ["relu"] = GptActivation.Relu,
        ["silu"] = GptActivation.Silu,
        ["swish"] = GptActivation.Silu,
    };

    public static GptConfig Read(string path)
    {
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException($"'{path}' is empty.");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {ex.Message}", ex);
        }

        var modelType = String(json, "model_type", path);
        var activationName = String(json, "activation_function", path) ?? "gelu_new";
        var problems = new Problems()
            .Require(modelType is null or "gpt2", $"model_type is '{modelType}'; only 'gpt2' checkpoints (GPT2Model, GPT2LMHeadModel) can be loaded.")
            .Require(!Bool(json, "add_cross_attention", false, path), "add_cross_attention is true: this GPT-2 has cross-attention layers for an encoder, which TinyGpt does not have.")
            .Require(Activations.ContainsKey(activationName), $"activation_function '{activationName}' is not supported; TinyGpt computes {string.Join(", ", Activations.Keys)}.")
            .ToList();
        if (problems.Count > 0)
        {
            throw new InvalidDataException($"'{path}' describes a model TinyGpt cannot compute: {string.Join(" ", problems)}");
        }

        // reorder_and_upcast_attn only changes the precision of fp16 attention; TinyGpt computes in fp32 and needs nothing for it.
        _ = Bool(json, "reorder_and_upcast_attn", false, path);
        var residual = Double(json, "resid_pdrop", path) ?? 0.1;
        var config = new GptConfig
        {
            VocabSize = Int(json, "vocab_size", path) ?? throw Missing(path, "vocab_size"),
            ContextLength = Int(json, "n_positions", path) ?? Int(json, "n_ctx", path) ?? throw Missing(path, "n_positions"),
            EmbeddingSize = Int(json, "n_embd", path) ?? throw Missing(path, "n_embd"),
            LayerCount = Int(json, "n_layer", path) ?? throw Missing(path, "n_layer"),
            HeadCount = Int(json, "n_head", path) ?? throw Missing(path, "n_head"),
            FeedForwardSize = Int(json, "n_inner", path),
            Activation = Activations[activationName],
            LayerNormEpsilon = Double(json, "layer_norm_epsilon", path) ?? 1e-5,
            TieEmbeddings = Bool(json, "tie_word_embeddings", true, path),
            ScaleAttentionWeights = Bool(json, "scale_attn_weights", true, path),
            ScaleAttentionByInverseLayerIndex = Bool(json, "scale_attn_by_inverse_layer_idx", false, path),
            Dropout = residual,
            AttentionDropout = Distinct(Double(json, "attn_pdrop", path) ?? 0.1, residual),
            EmbeddingDropout = Distinct(Double(json, "embd_pdrop", path) ?? 0.1, residual),
            Bias = true,
        };
        var invalid = config.Validate();
        if (invalid.Count > 0)
        {
            throw new InvalidDataException($"'{path}' describes an invalid model: {string.Join(" ", invalid)}");
        }

        return config;
    }

    public static JsonObject Write(GptConfig config, ITextTokenizer? tokenizer)
    {
        var json = new JsonObject
        {
            ["model_type"] = "gpt2",
            ["architectures"] = new JsonArray("GPT2LMHeadModel"),
            ["vocab_size"] = config.VocabSize,
            ["n_positions"] = config.ContextLength,
            ["n_ctx"] = config.ContextLength,
            ["n_embd"] = config.EmbeddingSize,
            ["n_layer"] = config.LayerCount,
            ["n_head"] = config.HeadCount,
            ["n_inner"] = config.FeedForwardSize,
            ["activation_function"] = Name(config.Activation),
            ["layer_norm_epsilon"] = config.LayerNormEpsilon,
            ["resid_pdrop"] = config.Dropout,
            ["embd_pdrop"] = config.EmbeddingDropoutRate,
            ["attn_pdrop"] = config.AttentionDropoutRate,
            ["scale_attn_weights"] = config.ScaleAttentionWeights,
            ["scale_attn_by_inverse_layer_idx"] = config.ScaleAttentionByInverseLayerIndex,
            ["reorder_and_upcast_attn"] = false,
            ["tie_word_embeddings"] = config.TieEmbeddings,
            ["use_cache"] = true,
            ["torch_dtype"] = "float32",
        };
        if (HuggingFaceSpecialTokens.Of(tokenizer) is { } ids)
        {
            json["bos_token_id"] = ids.BosId;
            json["eos_token_id"] = ids.EosId;
        }

        return json;
    }

    public static string Name(GptActivation activation) => activation switch
    {
        GptActivation.GeluTanh => "gelu_new",
        GptActivation.Gelu => "gelu",
        GptActivation.Relu => "relu",
        _ => "silu",
    };

    private static InvalidDataException Missing(string path, string name) =>
        new($"'{path}' lacks '{name}', which a GPT-2 config.json always has.");

    private static JsonNode? Field(JsonObject json, string name) => json.TryGetPropertyValue(name, out var node) ? node : null;

    private static int? Int(JsonObject json, string name, string path) => Field(json, name) switch
    {
        null => null,
        JsonValue value when value.TryGetValue(out int number) => number,
        JsonValue value when value.TryGetValue(out double number) && number == Math.Floor(number) && Math.Abs(number) < int.MaxValue => (int)number,
        var other => throw new InvalidDataException($"'{path}' has '{name}': {other.ToJsonString()}, which is not a whole number."),
    };

    private static double? Double(JsonObject json, string name, string path) => Field(json, name) switch
    {
        null => null,
        JsonValue value when value.TryGetValue(out double number) => number,
        var other => throw new InvalidDataException($"'{path}' has '{name}': {other.ToJsonString()}, which is not a number."),
    };

    // A dropout equal to resid_pdrop stays null, so GPT-2's own files (all three 0.1) read as one setting.
    private static double? Distinct(double value, double residual) => value == residual ? null : value;

    private static bool Bool(JsonObject json, string name, bool fallback, string path) => Field(json, name) switch
    {
        null => fallback,
        JsonValue value when value.TryGetValue(out bool flag) => flag,
        var other => throw new InvalidDataException($"'{path}' has '{name}': {other.ToJsonString()}, which is not true or false."),
    };

    private static string? String(JsonObject json, string name, string path) => Field(json, name) switch
    {
        null => null,
        JsonValue value when value.TryGetValue(out string? text) => text,
        var other => throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"'{path}' has '{name}': {other.ToJsonString()}, which is not a string.")),
    };
}
