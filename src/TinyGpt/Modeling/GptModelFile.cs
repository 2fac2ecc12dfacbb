using System.Globalization;
using System.Text.Json;
using TinyGpt.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Modeling;

/// <summary>
/// Saves and loads a model's weights together with its configuration in one safetensors file,
/// so a saved model can be loaded for generation without knowing how it was built.
/// </summary>
public static class GptModelFile
{
    internal const string FormatKey = "tinygpt.format";
    internal const string VersionKey = "tinygpt.format_version";
    internal const string ConfigKey = "tinygpt.config";
    private const string ModelFormat = "model";
    private const int CurrentVersion = 1;

    internal static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Writes the model's weights and configuration to <paramref name="path"/>, atomically.</summary>
    public static void Save(GptModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var metadata = new Dictionary<string, string>
        {
            [FormatKey] = ModelFormat,
            [VersionKey] = CurrentVersion.ToString(CultureInfo.InvariantCulture),
            [ConfigKey] = JsonSerializer.Serialize(model.Config, JsonOptions),
        };
        SafeTensorsFile.Write(path, model.NamedParameters().Select(p => new KeyValuePair<string, Tensor>(p.Name, p.Parameter)), metadata);
    }

    /// <summary>Loads a model saved by <see cref="Save"/>; it is in evaluation mode.</summary>
    /// <param name="path">The file.</param>
    /// <param name="device">Where to put the model; the CPU when null.</param>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt, of another format or version, or does not match its configuration.</exception>
    public static GptModel Load(string path, Device? device = null)
    {
        var content = SafeTensorsFile.Read(path);
        if (!content.Metadata.TryGetValue(FormatKey, out var format) || format != ModelFormat)
        {
            throw new InvalidDataException($"'{path}' is not a TinyGpt model file (format '{format ?? "none"}'). Checkpoints load with CheckpointStore; Hugging Face GPT-2 folders with Gpt2SafeTensors.Import.");
        }

        return Create(content, path, device);
    }

    internal static GptModel Create(SafeTensorsContent content, string path, Device? device)
    {
        var version = content.Metadata.GetValueOrDefault(VersionKey);
        if (version != CurrentVersion.ToString(CultureInfo.InvariantCulture))
        {
            throw new InvalidDataException($"'{path}' has format version {version ?? "none"}; this TinyGpt reads version {CurrentVersion}. Use the TinyGpt version that wrote it.");
        }

        var config = ReadConfig(content, path);
        var model = new GptModel(config);
        LoadWeights(model, content, path);
        if (device is not null)
        {
            model.to(device);
        }

        model.eval();
        return model;
    }

    internal static GptConfig ReadConfig(SafeTensorsContent content, string path)
    {
        if (!content.Metadata.TryGetValue(ConfigKey, out var json))
        {
            throw new InvalidDataException($"'{path}' has no model configuration in its metadata.");
        }

        try
        {
            return JsonSerializer.Deserialize<GptConfig>(json, JsonOptions) ?? throw new InvalidDataException($"'{path}' has an empty model configuration.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' has a corrupt model configuration: {ex.Message}", ex);
        }
    }

    internal static void LoadWeights(GptModel model, SafeTensorsContent content, string path, string prefix = "")
    {
        var expected = model.NamedParameters();
        foreach (var (name, parameter) in expected)
        {
            if (!content.Entries.ContainsKey(prefix + name))
            {
                throw new InvalidDataException($"'{path}' lacks the weight '{name}': it was saved from a model of another configuration.");
            }

            content.CopyInto(prefix + name, parameter);
        }
    }
}
