using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using TinyGpt.Modeling;
using TinyGpt.Serialization;
using TinyGpt.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Interchange;

/// <summary>
/// Exchanges weights with the Hugging Face GPT-2 format: a <c>model.safetensors</c> with the
/// tensor names of <c>GPT2Model</c> (<c>wte.weight</c>, <c>wpe.weight</c>, <c>h.N.ln_1.weight</c>,
/// <c>h.N.attn.c_attn.weight</c>, ...) and a <c>config.json</c> beside it. GPT-2 stores its
/// projections as Conv1D, <c>[in, out]</c>, where TinyGpt's linear layers are <c>[out, in]</c>,
/// so those matrices are transposed on the way out and back.
/// </summary>
public static partial class HuggingFaceGpt2
{
    /// <summary>Writes <paramref name="model"/> as a GPT-2 <c>model.safetensors</c> plus <c>config.json</c> in <paramref name="directory"/>.</summary>
    /// <exception cref="ArgumentException">The model has no biases or untied embeddings, which GPT-2 cannot express.</exception>
    public static void Export(GptModel model, string directory)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var config = model.Config;
        if (!config.Bias || !config.TieEmbeddings)
        {
            throw new ArgumentException("GPT-2 checkpoints have biases and a tied LM head; this model has Bias or TieEmbeddings turned off, so it cannot be exported in that format.", nameof(model));
        }

        Directory.CreateDirectory(directory);
        using var scope = NewDisposeScope();
        var tensors = model.NamedParameters()
            .Select(p => new KeyValuePair<string, Tensor>(p.Name, IsConv1D(p.Name) ? p.Parameter.detach().t().contiguous() : p.Parameter.detach()))
            .ToList();
        SafeTensorsFile.Write(Path.Combine(directory, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
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
            ["activation_function"] = "gelu_new",
            ["layer_norm_epsilon"] = 1e-5,
            ["resid_pdrop"] = config.Dropout,
            ["embd_pdrop"] = config.Dropout,
            ["attn_pdrop"] = config.Dropout,
            ["tie_word_embeddings"] = true,
        };
        AtomicFile.WriteAllText(Path.Combine(directory, "config.json"), json.ToJsonString(JsonDefaults.Options));
    }

    /// <summary>
    /// Loads a GPT-2 <c>model.safetensors</c> (from <see cref="Export"/> or Hugging Face) with the
    /// <c>config.json</c> in the same folder; names may carry the <c>transformer.</c> prefix of
    /// <c>GPT2LMHeadModel</c>.
    /// </summary>
    /// <param name="directory">The folder with <c>model.safetensors</c> and <c>config.json</c>.</param>
    /// <param name="device">Where to put the model; the CPU when null.</param>
    /// <exception cref="InvalidDataException">A file is missing, corrupt, or the weights do not match the configuration.</exception>
    public static GptModel Import(string directory, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var configPath = Path.Combine(directory, "config.json");
        var weightsPath = Path.Combine(directory, "model.safetensors");
        if (!File.Exists(configPath) || !File.Exists(weightsPath))
        {
            throw new InvalidDataException($"'{directory}' needs config.json and model.safetensors (the Hugging Face GPT-2 layout).");
        }

        var json = JsonNode.Parse(File.ReadAllText(configPath))?.AsObject() ?? throw new InvalidDataException($"'{configPath}' is empty.");
        int Read(string name) => json[name]?.GetValue<int>() ?? throw new InvalidDataException($"'{configPath}' lacks '{name}'.");
        var config = new GptConfig
        {
            VocabSize = Read("vocab_size"),
            ContextLength = Read("n_positions"),
            EmbeddingSize = Read("n_embd"),
            LayerCount = Read("n_layer"),
            HeadCount = Read("n_head"),
            Dropout = 0,
        };
        using var content = SafeTensorsFile.Open(weightsPath);
        var model = new GptModel(config.EnsureValid());
        using (no_grad())
        {
            foreach (var (name, parameter) in model.NamedParameters())
            {
                var stored = content.Entries.ContainsKey(name) ? name : "transformer." + name;
                using var source = content.Load(stored).to(parameter.dtype);
                using var oriented = IsConv1D(name) ? source.t() : source.alias();
                if (!oriented.shape.SequenceEqual(parameter.shape))
                {
                    throw new InvalidDataException($"'{weightsPath}' has '{stored}' of shape [{string.Join(", ", source.shape)}], which does not fit config.json (expected [{string.Join(", ", parameter.shape)}] before transposing).");
                }

                parameter.copy_(oriented);
            }
        }

        if (device is not null)
        {
            model.to(device);
        }

        model.eval();
        return model;
    }

    private static bool IsConv1D(string name) => Conv1DWeight().IsMatch(name);

    [GeneratedRegex(@"^h\.\d+\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$", RegexOptions.CultureInvariant)]
    private static partial Regex Conv1DWeight();
}
