using System.Text.Json;
using System.Text.Json.Nodes;
using TinyGpt.Serialization;
using static TorchSharp.torch;

namespace TinyGpt.Interchange;

/// <summary>
/// The tensors of a Hugging Face model folder by name: one <c>model.safetensors</c>, or shards
/// listed in <c>model.safetensors.index.json</c>. Files are memory-mapped, so a model larger than
/// memory's comfort (or than 2 GiB) loads tensor by tensor.
/// </summary>
internal sealed class HuggingFaceWeightFiles : IDisposable
{
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly List<SafeTensorsContent> _files = [];
    private readonly Dictionary<string, SafeTensorsContent> _byName = new(StringComparer.Ordinal);

    private HuggingFaceWeightFiles()
    {
    }

    public IReadOnlyCollection<string> Names => _byName.Keys;

    public static bool ExistIn(string directory) =>
        File.Exists(Path.Combine(directory, SingleFileName)) || File.Exists(Path.Combine(directory, IndexFileName));

    public static HuggingFaceWeightFiles Open(string directory)
    {
        var files = new HuggingFaceWeightFiles();
        try
        {
            var index = Path.Combine(directory, IndexFileName);
            if (File.Exists(index))
            {
                files.OpenShards(directory, index);
            }
            else if (File.Exists(Path.Combine(directory, SingleFileName)))
            {
                files.Add(SafeTensorsFile.Open(Path.Combine(directory, SingleFileName)), null);
            }
            else
            {
                var hint = File.Exists(Path.Combine(directory, "pytorch_model.bin"))
                    ? " It has pytorch_model.bin, a pickle TinyGpt does not read: convert it to safetensors first (for example with transformers: model.save_pretrained(folder, safe_serialization=True))."
                    : string.Empty;
                throw new InvalidDataException($"'{directory}' has neither {SingleFileName} nor {IndexFileName}.{hint}");
            }

            return files;
        }
        catch
        {
            files.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>A new CPU tensor with the named tensor, in the file's dtype.</summary>
    public Tensor Load(string name) => _byName[name].Load(name);

    public void Dispose()
    {
        foreach (var file in _files)
        {
            file.Dispose();
        }
    }

    private void OpenShards(string directory, string index)
    {
        JsonObject map;
        try
        {
            map = JsonNode.Parse(File.ReadAllText(index))?["weight_map"]?.AsObject()
                ?? throw new InvalidDataException($"'{index}' has no weight_map.");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new InvalidDataException($"'{index}' is not a valid shard index: {ex.Message}", ex);
        }

        var shards = new Dictionary<string, SafeTensorsContent>(StringComparer.Ordinal);
        foreach (var (name, node) in map)
        {
            var shard = node?.GetValue<string>() ?? throw new InvalidDataException($"'{index}' maps '{name}' to no file.");
            if (shard.Contains('/', StringComparison.Ordinal) || shard.Contains('\\', StringComparison.Ordinal) || shard.StartsWith('.'))
            {
                throw new InvalidDataException($"'{index}' maps '{name}' to '{shard}', which is not a file name in the same folder.");
            }

            if (!shards.TryGetValue(shard, out var content))
            {
                var path = Path.Combine(directory, shard);
                if (!File.Exists(path))
                {
                    throw new InvalidDataException($"'{index}' lists the shard '{shard}', which is missing from '{directory}': copy every shard of the model.");
                }

                content = SafeTensorsFile.Open(path);
                shards[shard] = content;
                Add(content, shard);
            }

            if (!content.Entries.ContainsKey(name))
            {
                throw new InvalidDataException($"'{index}' says '{name}' is in '{shard}', but that shard does not hold it.");
            }
        }
    }

    private void Add(SafeTensorsContent content, string? shard)
    {
        _files.Add(content);
        foreach (var name in content.Entries.Keys)
        {
            if (!_byName.TryAdd(name, content))
            {
                throw new InvalidDataException($"The tensor '{name}' is stored twice{(shard is null ? string.Empty : $" (again in '{shard}')")}.");
            }
        }
    }
}
