using System.Text.RegularExpressions;
using TinyGpt.Checkpoints;
using TinyGpt.Modeling;
using TinyGpt.Serialization;
using TinyGpt.Tokenization;
using static TorchSharp.torch;

namespace TinyGpt.Interchange;

/// <summary>
/// Exchanges models with the Hugging Face GPT-2 layout: a folder with <c>config.json</c>, the
/// weights in <c>model.safetensors</c> (or shards listed in <c>model.safetensors.index.json</c>)
/// with the tensor names of <c>GPT2LMHeadModel</c> (<c>transformer.wte.weight</c>,
/// <c>transformer.h.N.attn.c_attn.weight</c>, ..., <c>lm_head.weight</c> when untied), and the
/// tokenizer files. GPT-2 stores its projections as Conv1D, <c>[in, out]</c>, where TinyGpt's
/// linear layers are <c>[out, in]</c>, so those matrices are transposed on the way out and back.
/// </summary>
public static partial class HuggingFaceGpt2
{
    /// <summary>The file with the model's configuration.</summary>
    public const string ConfigFileName = "config.json";

    private const string Prefix = "transformer.";
    private const string HeadName = "lm_head.weight";

    /// <summary>Whether <paramref name="directory"/> looks like a Hugging Face GPT-2 folder (a config and weights).</summary>
    public static bool IsModelFolder(string directory) =>
        Directory.Exists(directory) && File.Exists(Path.Combine(directory, ConfigFileName)) && HuggingFaceWeightFiles.ExistIn(directory);

    /// <summary>
    /// Reads the model's shape from <c>config.json</c>. Every field that changes the computation is
    /// honoured (<c>n_inner</c>, <c>activation_function</c>, <c>layer_norm_epsilon</c>,
    /// <c>tie_word_embeddings</c>, <c>scale_attn_weights</c>, <c>scale_attn_by_inverse_layer_idx</c>)
    /// or refused (<c>add_cross_attention</c>, another <c>model_type</c>, an activation TinyGpt lacks).
    /// <c>reorder_and_upcast_attn</c> needs nothing: TinyGpt computes attention in fp32.
    /// <see cref="GptConfig.Dropout"/> is <c>resid_pdrop</c>; <c>attn_pdrop</c> and <c>embd_pdrop</c>
    /// set <see cref="GptConfig.AttentionDropout"/> and <see cref="GptConfig.EmbeddingDropout"/> where they differ from it.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is missing or describes a model TinyGpt cannot compute; the message says which field.</exception>
    public static GptConfig ReadConfig(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var path = Path.Combine(directory, ConfigFileName);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"'{directory}' has no {ConfigFileName}; a Hugging Face GPT-2 folder has config.json and model.safetensors.");
        }

        return HuggingFaceGpt2Config.Read(path);
    }

    /// <summary>
    /// Loads a GPT-2 model folder written by <see cref="Export"/> or by Hugging Face
    /// (<c>save_pretrained</c>, or a download from the Hub). Names may carry the
    /// <c>transformer.</c> prefix or not; F16, BF16 and F64 tensors are converted to fp32; the
    /// legacy attention-mask buffers (<c>h.N.attn.bias</c>, <c>h.N.attn.masked_bias</c>) are skipped
    /// by name; any other tensor the model has no place for is an error, never ignored.
    /// </summary>
    /// <param name="directory">The folder.</param>
    /// <param name="device">Where to put the model; the CPU when null.</param>
    /// <exception cref="InvalidDataException">A file is missing or corrupt, or the weights do not fit the configuration.</exception>
    public static GptModel Import(string directory, Device? device = null)
    {
        var config = ReadConfig(directory);
        using var files = HuggingFaceWeightFiles.Open(directory);
        return ModelFile.Populate(config, model => CopyWeights(files, model, directory), device);
    }

    /// <summary>The folder's own tokenizer (<c>vocab.json</c> + <c>merges.txt</c>), or null when it has none.</summary>
    /// <exception cref="InvalidDataException">The files are there but damaged.</exception>
    public static ITextTokenizer? LoadTokenizer(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return File.Exists(Path.Combine(directory, BpeVocabulary.VocabFileName)) && File.Exists(Path.Combine(directory, BpeVocabulary.MergesFileName))
            ? TextTokenizers.Load(directory)
            : null;
    }

    /// <summary>
    /// Writes <paramref name="model"/> as a Hugging Face GPT-2 folder: <c>model.safetensors</c>,
    /// <c>config.json</c> and, with a <paramref name="tokenizer"/>, what Hugging Face tools need to
    /// tokenize and to stop: <c>vocab.json</c>, <c>merges.txt</c>, <c>tokenizer.json</c>,
    /// <c>tokenizer_config.json</c>, <c>special_tokens_map.json</c>, <c>generation_config.json</c>,
    /// and <c>bos_token_id</c>/<c>eos_token_id</c> in the config. Every file is written whole or not at all.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="directory">The folder (created when missing).</param>
    /// <param name="tokenizer">The model's tokenizer; null writes the weights and config only.</param>
    /// <exception cref="ArgumentException">The model has no biases, which GPT-2 cannot express.</exception>
    public static void Export(GptModel model, string directory, ITextTokenizer? tokenizer = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var config = model.Config;
        if (!config.Bias)
        {
            throw new ArgumentException("GPT-2 checkpoints have biases in every linear layer and LayerNorm; this model has Bias turned off, so it cannot be exported in that format.", nameof(model));
        }

        Directory.CreateDirectory(directory);
        using (var scope = NewDisposeScope())
        {
            var tensors = model.NamedParameters()
                .Select(p => new KeyValuePair<string, Tensor>(p.Name == HeadName ? HeadName : Prefix + p.Name, IsConv1D(p.Name) ? p.Parameter.detach().t().contiguous() : p.Parameter.detach()))
                .ToList();
            SafeTensorsFile.Write(Path.Combine(directory, HuggingFaceWeightFiles.SingleFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        }

        AtomicFile.WriteAllText(Path.Combine(directory, ConfigFileName), HuggingFaceGpt2Config.Write(config, tokenizer).ToJsonString(JsonDefaults.Options));
        if (tokenizer is null)
        {
            return;
        }

        var vocabulary = tokenizer switch
        {
            BpeTextTokenizer bpe => bpe.Vocabulary,
            Gpt2TextTokenizer gpt2 => gpt2.ToVocabulary(),
            _ => throw new ArgumentException($"Only byte-level BPE tokenizers can be exported for Hugging Face; {tokenizer.GetType().Name} is not one.", nameof(tokenizer)),
        };
        vocabulary.Save(directory);
        if (HuggingFaceSpecialTokens.Of(tokenizer) is { } special)
        {
            AtomicFile.WriteAllText(Path.Combine(directory, "special_tokens_map.json"), special.ToSpecialTokensMap().ToJsonString(JsonDefaults.Options));
            AtomicFile.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), special.ToTokenizerConfig(tokenizer, config.ContextLength).ToJsonString(JsonDefaults.Options));
            AtomicFile.WriteAllText(Path.Combine(directory, "generation_config.json"), special.ToGenerationConfig().ToJsonString(JsonDefaults.Options));
        }
    }

    private static void CopyWeights(HuggingFaceWeightFiles files, GptModel model, string directory)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        using (no_grad())
        {
            foreach (var (name, parameter) in model.NamedParameters())
            {
                var stored = name == HeadName ? HeadName : files.Contains(Prefix + name) ? Prefix + name : name;
                if (!files.Contains(stored))
                {
                    missing.Add(name == HeadName ? HeadName : $"{name} (or {Prefix}{name})");
                    continue;
                }

                used.Add(stored);
                using var source = files.Load(stored);
                using var converted = source.to(parameter.dtype);
                using var oriented = IsConv1D(name) ? converted.t() : converted.alias();
                if (!oriented.shape.SequenceEqual(parameter.shape))
                {
                    throw new InvalidDataException($"'{directory}' has '{stored}' of shape [{string.Join(", ", source.shape)}], which does not fit its config.json (expected [{string.Join(", ", IsConv1D(name) ? parameter.shape.Reverse() : parameter.shape)}]).");
                }

                parameter.copy_(oriented);
            }
        }

        if (missing.Count > 0)
        {
            var hint = missing.Contains(HeadName) ? " config.json says tie_word_embeddings is false, so the model needs its own lm_head.weight." : string.Empty;
            throw new InvalidDataException($"'{directory}' lacks {missing.Count} tensor(s) the model needs: {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", ..." : string.Empty)}.{hint}");
        }

        var unknown = new List<string>();
        foreach (var name in files.Names.Where(n => !used.Contains(n)).Order(StringComparer.Ordinal))
        {
            if (LegacyAttentionBuffer().IsMatch(name))
            {
                continue; // GPT-2's causal mask, saved as a buffer by old transformers versions: SDPA builds its own.
            }

            if (name == HeadName && model.Config.TieEmbeddings)
            {
                RequireTiedHead(files, model, directory);
                continue;
            }

            unknown.Add(name);
        }

        if (unknown.Count > 0)
        {
            throw new InvalidDataException($"'{directory}' holds {unknown.Count} tensor(s) a GPT-2 language model has no place for: {string.Join(", ", unknown.Take(5))}{(unknown.Count > 5 ? ", ..." : string.Empty)}. It may be another architecture or a model with an extra head; TinyGpt loads GPT2Model and GPT2LMHeadModel weights only.");
        }
    }

    // A tied head in the file must be the embedding; a different one means the config is wrong.
    private static void RequireTiedHead(HuggingFaceWeightFiles files, GptModel model, string directory)
    {
        using var scope = NewDisposeScope();
        var embedding = model.NamedParameters().First(p => p.Name == "wte.weight").Parameter;
        var head = files.Load(HeadName).to(embedding.dtype);
        if (!head.shape.SequenceEqual(embedding.shape) || !head.eq(embedding.detach()).all().item<bool>())
        {
            throw new InvalidDataException($"'{directory}' has an lm_head.weight that differs from the token embedding, but its config.json says tie_word_embeddings is true (or leaves it out). Set \"tie_word_embeddings\": false there to load the separate head.");
        }
    }

    private static bool IsConv1D(string name) => Conv1DWeight().IsMatch(name);

    [GeneratedRegex(@"^h\.\d+\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$", RegexOptions.CultureInvariant)]
    private static partial Regex Conv1DWeight();

    [GeneratedRegex(@"^(transformer\.)?h\.\d+\.attn\.(bias|masked_bias)$", RegexOptions.CultureInvariant)]
    private static partial Regex LegacyAttentionBuffer();
}
