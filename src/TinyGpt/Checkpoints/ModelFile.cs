using System.Globalization;
using System.Text.Json;
using TinyGpt.Modeling;
using TinyGpt.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Checkpoints;

/// <summary>
/// A model's weights together with its configuration in one safetensors file (a run's
/// <c>model.safetensors</c>), so a saved model loads for generation without knowing how it was
/// built. Checkpoints (<see cref="CheckpointStore"/>) use the same layout for their weights.
/// </summary>
public static class ModelFile
{
    internal const string FormatKey = "tinygpt.format";
    internal const string VersionKey = "tinygpt.format_version";
    internal const string ConfigKey = "tinygpt.config";
    internal const string StepKey = "tinygpt.step";
    internal const string ModelFormat = "model";
    private const int CurrentVersion = 1;

    /// <summary>Writes the model's weights and configuration to <paramref name="path"/>, atomically.</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">The file.</param>
    /// <param name="trainedSteps">Optimizer steps the weights were trained for, recorded so that a run folder can tell whether its model file or its latest checkpoint is newer.</param>
    public static void Save(GptModel model, string path, int? trainedSteps = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var metadata = Metadata(model.Config, ModelFormat, CurrentVersion);
        if (trainedSteps is { } steps)
        {
            metadata[StepKey] = steps.ToString(CultureInfo.InvariantCulture);
        }

        SafeTensorsFile.Write(path, Weights(model), metadata);
    }

    /// <summary>Loads a model saved by <see cref="Save"/>, in evaluation mode.</summary>
    /// <param name="path">The file.</param>
    /// <param name="device">Where to put the model; the CPU when null.</param>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt, of another format or version, or does not match its configuration.</exception>
    public static GptModel Load(string path, Device? device = null)
    {
        using var content = SafeTensorsFile.Open(path);
        RequireFormat(content, path, ModelFormat, CurrentVersion);
        return CreateModel(content, path, device);
    }

    /// <summary>Optimizer steps the model file's weights were trained for, when it recorded them; reads only the file's header.</summary>
    public static int? ReadTrainedSteps(string path)
    {
        var header = SafeTensorsFile.ReadHeader(path);
        return header.Metadata.TryGetValue(StepKey, out var value) && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var steps) ? steps : null;
    }

    internal static Dictionary<string, string> Metadata(GptConfig config, string format, int version) => new()
    {
        [FormatKey] = format,
        [VersionKey] = version.ToString(CultureInfo.InvariantCulture),
        [ConfigKey] = JsonSerializer.Serialize(config, JsonDefaults.Options),
    };

    internal static IEnumerable<KeyValuePair<string, Tensor>> Weights(GptModel model, string prefix = "") =>
        model.NamedParameters().Select(p => new KeyValuePair<string, Tensor>(prefix + p.Name, p.Parameter));

    internal static void RequireFormat(SafeTensorsContent content, string path, string format, int version)
    {
        var found = content.Metadata.GetValueOrDefault(FormatKey);
        if (found != format)
        {
            throw new InvalidDataException($"'{path}' is not a TinyGpt {format} file (its format is '{found ?? "none"}').");
        }

        var foundVersion = content.Metadata.GetValueOrDefault(VersionKey);
        if (foundVersion != version.ToString(CultureInfo.InvariantCulture))
        {
            throw new InvalidDataException($"'{path}' is a TinyGpt {format} file of format version {foundVersion ?? "none"}; this TinyGpt reads version {version}. Use the TinyGpt version that wrote it.");
        }
    }

    /// <summary>A new model with the file's configuration and weights (names after <paramref name="prefix"/>), in evaluation mode.</summary>
    internal static GptModel CreateModel(SafeTensorsContent content, string path, Device? device, string prefix = "") =>
        Populate(ReadConfig(content, path), model => LoadWeights(model, content, path, prefix), device);

    /// <summary>
    /// The one way a loaded model comes to be: a new model of <paramref name="config"/> filled by
    /// <paramref name="fill"/>, moved to <paramref name="device"/> and put in evaluation mode; disposed
    /// when anything fails, so a refused file leaves no native memory behind.
    /// </summary>
    internal static GptModel Populate(GptConfig config, Action<GptModel> fill, Device? device)
    {
        var model = new GptModel(config);
        try
        {
            fill(model);
            if (device is not null)
            {
                model.to(device);
            }

            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Reads the model configuration of a model file (its header only).</summary>
    /// <exception cref="InvalidDataException">The file is not a TinyGpt model file, or is damaged.</exception>
    public static GptConfig ReadConfig(string path)
    {
        using var content = SafeTensorsFile.ReadHeader(path);
        RequireFormat(content, path, ModelFormat, CurrentVersion);
        return ReadConfig(content, path);
    }

    internal static GptConfig ReadConfig(SafeTensorsContent content, string path)
    {
        if (!content.Metadata.TryGetValue(ConfigKey, out var json))
        {
            throw new InvalidDataException($"'{path}' has no model configuration in its metadata.");
        }

        try
        {
            return JsonSerializer.Deserialize<GptConfig>(json, JsonDefaults.Options) ?? throw new InvalidDataException($"'{path}' has an empty model configuration.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' has a corrupt model configuration: {ex.Message}", ex);
        }
    }

    internal static void LoadWeights(GptModel model, SafeTensorsContent content, string path, string prefix = "")
    {
        foreach (var (name, parameter) in model.NamedParameters())
        {
            if (!content.Entries.ContainsKey(prefix + name))
            {
                throw new InvalidDataException($"'{path}' lacks the weight '{name}': it was saved from a model of another configuration.");
            }

            content.CopyInto(prefix + name, parameter);
        }
    }
}
