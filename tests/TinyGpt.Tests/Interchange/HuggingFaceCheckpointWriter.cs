using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace TinyGpt.Tests.Interchange;

/// <summary>
/// Writes Hugging Face GPT-2 folders the way transformers lays them out, without any TinyGpt code:
/// safetensors bytes by hand (8-byte header length, JSON header, little-endian data), Conv1D
/// weights as [in, out], optional <c>transformer.</c> prefix, tied or untied head, the legacy
/// attention buffers, F16 storage, and sharding with <c>model.safetensors.index.json</c>.
/// The weights are random numbers from a seed, so a reference forward pass can be computed from them.
/// </summary>
public sealed class HuggingFaceCheckpointWriter
{
    public int Vocab { get; init; } = 40;

    public int Positions { get; init; } = 16;

    public int Width { get; init; } = 16;

    public int Layers { get; init; } = 2;

    public int Heads { get; init; } = 2;

    public int? Inner { get; init; }

    public string Activation { get; init; } = "gelu_new";

    public double Epsilon { get; init; } = 1e-5;

    public bool ScaleAttentionWeights { get; init; } = true;

    public bool ScaleByInverseLayer { get; init; }

    public bool Tied { get; init; } = true;

    public bool Prefix { get; init; } = true;

    public bool LegacyBuffers { get; init; }

    public bool Float16 { get; init; }

    public int Shards { get; init; } = 1;

    public int Seed { get; init; } = 5;

    /// <summary>Extra config.json fields (or overrides).</summary>
    public Dictionary<string, JsonNode?> ConfigOverrides { get; init; } = [];

    /// <summary>Extra tensors to store, by full name.</summary>
    public Dictionary<string, (float[] Data, long[] Shape)> ExtraTensors { get; init; } = [];

    /// <summary>The weights in GPT-2's own layout (Conv1D [in, out]) by name without prefix, as float32 values (after F16 rounding when stored so).</summary>
    public Dictionary<string, (float[] Data, long[] Shape)> Weights { get; } = [];

    public int InnerWidth => Inner ?? (4 * Width);

    public void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var random = new Random(Seed);
        void Add(string name, params long[] shape)
        {
            var count = shape.Aggregate(1L, (a, b) => a * b);
            var data = new float[count];
            var isNormWeight = name.EndsWith("ln_1.weight", StringComparison.Ordinal) || name.EndsWith("ln_2.weight", StringComparison.Ordinal) || name == "ln_f.weight";
            for (var i = 0; i < count; i++)
            {
                var value = isNormWeight ? 1 + ((random.NextDouble() - 0.5) * 0.2) : (random.NextDouble() - 0.5) * 0.4;
                data[i] = Float16 ? (float)(Half)value : (float)value;
            }

            Weights[name] = (data, shape);
        }

        Add("wte.weight", Vocab, Width);
        Add("wpe.weight", Positions, Width);
        for (var layer = 0; layer < Layers; layer++)
        {
            var h = $"h.{layer}.";
            Add(h + "ln_1.weight", Width);
            Add(h + "ln_1.bias", Width);
            Add(h + "attn.c_attn.weight", Width, 3 * Width);
            Add(h + "attn.c_attn.bias", 3 * Width);
            Add(h + "attn.c_proj.weight", Width, Width);
            Add(h + "attn.c_proj.bias", Width);
            Add(h + "ln_2.weight", Width);
            Add(h + "ln_2.bias", Width);
            Add(h + "mlp.c_fc.weight", Width, InnerWidth);
            Add(h + "mlp.c_fc.bias", InnerWidth);
            Add(h + "mlp.c_proj.weight", InnerWidth, Width);
            Add(h + "mlp.c_proj.bias", Width);
        }

        Add("ln_f.weight", Width);
        Add("ln_f.bias", Width);
        if (!Tied)
        {
            Add("lm_head.weight", Vocab, Width);
        }

        var stored = new List<(string Name, float[] Data, long[] Shape)>();
        foreach (var (name, (data, shape)) in Weights)
        {
            stored.Add((name == "lm_head.weight" || !Prefix ? name : "transformer." + name, data, shape));
        }

        if (LegacyBuffers)
        {
            for (var layer = 0; layer < Layers; layer++)
            {
                var mask = new float[Positions * Positions];
                for (var i = 0; i < Positions; i++)
                {
                    for (var j = 0; j <= i; j++)
                    {
                        mask[(i * Positions) + j] = 1;
                    }
                }

                var p = Prefix ? "transformer." : string.Empty;
                stored.Add(($"{p}h.{layer}.attn.bias", mask, [1, 1, Positions, Positions]));
                stored.Add(($"{p}h.{layer}.attn.masked_bias", [-1e4f], []));
            }
        }

        stored.AddRange(ExtraTensors.Select(kv => (kv.Key, kv.Value.Data, kv.Value.Shape)));
        if (Shards == 1)
        {
            WriteSafeTensors(Path.Combine(directory, "model.safetensors"), stored);
        }
        else
        {
            var map = new JsonObject();
            var perShard = (stored.Count + Shards - 1) / Shards;
            for (var shard = 0; shard < Shards; shard++)
            {
                var file = $"model-{shard + 1:D5}-of-{Shards:D5}.safetensors";
                var part = stored.Skip(shard * perShard).Take(perShard).ToList();
                WriteSafeTensors(Path.Combine(directory, file), part);
                foreach (var entry in part)
                {
                    map[entry.Name] = file;
                }
            }

            File.WriteAllText(Path.Combine(directory, "model.safetensors.index.json"), new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = 0 }, ["weight_map"] = map }.ToJsonString());
        }

        var config = new JsonObject
        {
            ["model_type"] = "gpt2",
            ["architectures"] = new JsonArray("GPT2LMHeadModel"),
            ["vocab_size"] = Vocab,
            ["n_positions"] = Positions,
            ["n_ctx"] = Positions,
            ["n_embd"] = Width,
            ["n_layer"] = Layers,
            ["n_head"] = Heads,
            ["n_inner"] = Inner,
            ["activation_function"] = Activation,
            ["layer_norm_epsilon"] = Epsilon,
            ["resid_pdrop"] = 0.1,
            ["embd_pdrop"] = 0.1,
            ["attn_pdrop"] = 0.1,
            ["initializer_range"] = 0.02,
            ["summary_type"] = "cls_index",
            ["scale_attn_weights"] = ScaleAttentionWeights,
            ["scale_attn_by_inverse_layer_idx"] = ScaleByInverseLayer,
            ["reorder_and_upcast_attn"] = false,
            ["use_cache"] = true,
            ["bos_token_id"] = Vocab - 1,
            ["eos_token_id"] = Vocab - 1,
        };
        if (!Tied)
        {
            config["tie_word_embeddings"] = false;
        }

        foreach (var (key, value) in ConfigOverrides)
        {
            config[key] = value?.DeepClone();
        }

        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJsonString());
    }

    private void WriteSafeTensors(string path, IReadOnlyList<(string Name, float[] Data, long[] Shape)> tensors)
    {
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        long offset = 0;
        var elementSize = Float16 ? 2 : 4;
        foreach (var (name, data, shape) in tensors)
        {
            var length = data.Length * (long)elementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = Float16 ? "F16" : "F32",
                ["shape"] = new JsonArray([.. shape.Select(s => (JsonNode)s)]),
                ["data_offsets"] = new JsonArray(offset, offset + length),
            };
            offset += length;
        }

        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        using var file = File.Create(path);
        Span<byte> eight = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(eight, (ulong)json.Length);
        file.Write(eight);
        file.Write(json);
        var buffer = new byte[4];
        foreach (var (_, data, _) in tensors)
        {
            foreach (var value in data)
            {
                if (Float16)
                {
                    BinaryPrimitives.WriteHalfLittleEndian(buffer, (Half)value);
                    file.Write(buffer, 0, 2);
                }
                else
                {
                    BinaryPrimitives.WriteSingleLittleEndian(buffer, value);
                    file.Write(buffer, 0, 4);
                }
            }
        }
    }
}
