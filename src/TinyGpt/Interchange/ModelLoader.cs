using TinyGpt.Checkpoints;
using TinyGpt.Modeling;
using TinyGpt.Serialization;
using static TorchSharp.torch;

namespace TinyGpt.Interchange;

/// <summary>
/// The one way to load a model from disk: it recognises what it is given, a TinyGpt model file
/// (<c>model.safetensors</c> of a run), a TinyGpt checkpoint (<c>checkpoints/step-*.safetensors</c>)
/// or a Hugging Face GPT-2 folder (<c>config.json</c> + <c>model.safetensors</c>), and returns the
/// model in evaluation mode together with what it was.
/// </summary>
public static class ModelLoader
{
    /// <summary>Loads the model at <paramref name="path"/> (a file, or a Hugging Face folder).</summary>
    /// <param name="path">The file or folder.</param>
    /// <param name="device">Where to put the model; the CPU when null.</param>
    /// <exception cref="FileNotFoundException">Nothing is at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is damaged, or is none of the three kinds.</exception>
    public static LoadedModel Load(string path, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            return new LoadedModel(HuggingFaceGpt2.Import(full, device), full, ModelFileKind.HuggingFaceGpt2);
        }

        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"There is no model file or folder at '{full}'.", full);
        }

        var format = Kind(full);
        return format switch
        {
            ModelFileKind.Model => new LoadedModel(ModelFile.Load(full, device), full, format),
            ModelFileKind.Checkpoint => new LoadedModel(CheckpointStore.LoadModel(full, device), full, format),
            _ => new LoadedModel(HuggingFaceGpt2.Import(Path.GetDirectoryName(full)!, device), Path.GetDirectoryName(full)!, ModelFileKind.HuggingFaceGpt2),
        };
    }

    /// <summary>The configuration of the model at <paramref name="path"/>, from headers and config files alone (no weights are read).</summary>
    /// <exception cref="FileNotFoundException">Nothing is at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is damaged, or is none of the three kinds.</exception>
    public static GptConfig ReadConfig(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            return HuggingFaceGpt2.ReadConfig(full);
        }

        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"There is no model file or folder at '{full}'.", full);
        }

        return Kind(full) switch
        {
            ModelFileKind.Model => ModelFile.ReadConfig(full),
            ModelFileKind.Checkpoint => CheckpointStore.ReadConfig(full),
            _ => HuggingFaceGpt2.ReadConfig(Path.GetDirectoryName(full)!),
        };
    }

    /// <summary>What kind of model file <paramref name="path"/> is, from its header alone.</summary>
    /// <exception cref="InvalidDataException">It is not a safetensors file, or a TinyGpt one of an unknown format.</exception>
    public static ModelFileKind Kind(string path)
    {
        var header = SafeTensorsFile.ReadHeader(path);
        return header.Metadata.GetValueOrDefault(ModelFile.FormatKey) switch
        {
            ModelFile.ModelFormat => ModelFileKind.Model,
            CheckpointStore.CheckpointFormat => ModelFileKind.Checkpoint,
            null => ModelFileKind.HuggingFaceGpt2,
            var other => throw new InvalidDataException($"'{path}' is a TinyGpt file of format '{other}', which holds no model."),
        };
    }
}
