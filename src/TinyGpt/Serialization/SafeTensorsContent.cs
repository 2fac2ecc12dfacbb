using static TorchSharp.torch;

namespace TinyGpt.Serialization;

/// <summary>A parsed safetensors file: its metadata and tensors, materialised on demand.</summary>
internal sealed class SafeTensorsContent(byte[] bytes, IReadOnlyDictionary<string, SafeTensorsEntry> entries, IReadOnlyDictionary<string, string> metadata)
{
    public IReadOnlyDictionary<string, string> Metadata { get; } = metadata;

    public IReadOnlyDictionary<string, SafeTensorsEntry> Entries { get; } = entries;

    /// <summary>Creates a new CPU tensor holding a copy of the named tensor's data.</summary>
    public Tensor Load(string name)
    {
        if (!Entries.TryGetValue(name, out var entry))
        {
            throw new InvalidDataException($"The file has no tensor named '{name}'.");
        }

        var tensor = empty(entry.Shape, entry.Dtype);
        if (entry.Length > 0)
        {
            bytes.AsSpan((int)entry.Offset, (int)entry.Length).CopyTo(tensor.bytes);
        }

        return tensor;
    }

    /// <summary>Copies the named tensor into <paramref name="destination"/>, checking shape and dtype.</summary>
    public void CopyInto(string name, Tensor destination)
    {
        if (!Entries.TryGetValue(name, out var entry))
        {
            throw new InvalidDataException($"The file has no tensor named '{name}'.");
        }

        if (!entry.Shape.SequenceEqual(destination.shape))
        {
            throw new InvalidDataException($"Tensor '{name}' has shape [{string.Join(", ", entry.Shape)}] in the file but [{string.Join(", ", destination.shape)}] in the model: the file was saved from a model of another configuration.");
        }

        using var source = Load(name);
        using var noGrad = no_grad();
        destination.copy_(source);
    }
}
