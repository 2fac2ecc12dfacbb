using System.Globalization;
using System.Text.Json;
using TinyGpt.Modeling;
using TinyGpt.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Checkpoints;

/// <summary>
/// The checkpoints of a run: one safetensors file per checkpoint holding model weights, optimizer
/// moments, the torch random state and the trainer state (step, schedule, data position), written
/// atomically. A <c>latest</c> pointer names the newest complete checkpoint and a <c>best</c>
/// pointer the one with the lowest validation loss; older ones beyond the last N are deleted.
/// </summary>
public sealed class CheckpointStore
{
    internal const string CheckpointFormat = "checkpoint";
    internal const string StateKey = "tinygpt.trainer_state";
    internal const string TokenizerKey = "tinygpt.tokenizer_fingerprint";
    internal const string ModelPrefix = "model.";
    internal const string RandomStateName = "rng.torch";
    private const int CurrentVersion = 1;
    private const string LatestPointer = "latest";
    private const string BestPointer = "best";

    /// <summary>Refers to the checkpoint folder <paramref name="directory"/>.</summary>
    /// <param name="directory">The folder; created on first save.</param>
    /// <param name="keepLast">How many of the newest checkpoints to keep (the best is kept too).</param>
    public CheckpointStore(string directory, int keepLast = 2)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(keepLast, 1);
        Directory = Path.GetFullPath(directory);
        KeepLast = keepLast;
    }

    /// <summary>The checkpoint folder.</summary>
    public string Directory { get; }

    /// <summary>How many of the newest checkpoints are kept.</summary>
    public int KeepLast { get; }

    /// <summary>The newest complete checkpoint, or null when there is none.</summary>
    public string? LatestPath => ReadPointer(LatestPointer);

    /// <summary>The checkpoint with the lowest validation loss, or null when none was evaluated.</summary>
    public string? BestPath => ReadPointer(BestPointer);

    /// <summary>Checkpoint files in the folder, oldest first.</summary>
    public IReadOnlyList<string> List() =>
        System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.GetFiles(Directory, "step-*.safetensors").Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>Loads the model of a checkpoint for generation or evaluation (in evaluation mode).</summary>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt, or not a TinyGpt checkpoint of a supported version.</exception>
    public static GptModel LoadModel(string path, Device? device = null)
    {
        var content = ReadCheckpoint(path);
        var model = new GptModel(GptModelFile.ReadConfig(content, path));
        GptModelFile.LoadWeights(model, content, path, ModelPrefix);
        if (device is not null)
        {
            model.to(device);
        }

        model.eval();
        return model;
    }

    /// <summary>Reads the trainer state of a checkpoint.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid checkpoint.</exception>
    public static TrainerState ReadState(string path) => ParseState(ReadCheckpoint(path), path);

    internal string Save(TrainerState state, GptModel model, IEnumerable<KeyValuePair<string, Tensor>> optimizerState, string tokenizerFingerprint)
    {
        var path = Path.Combine(Directory, $"step-{state.Step.ToString("D8", CultureInfo.InvariantCulture)}.safetensors");
        var metadata = new Dictionary<string, string>
        {
            [GptModelFile.FormatKey] = CheckpointFormat,
            [GptModelFile.VersionKey] = CurrentVersion.ToString(CultureInfo.InvariantCulture),
            [GptModelFile.ConfigKey] = JsonSerializer.Serialize(model.Config, GptModelFile.JsonOptions),
            [TokenizerKey] = tokenizerFingerprint,
            [StateKey] = JsonSerializer.Serialize(state, GptModelFile.JsonOptions),
        };
        using var rng = torch.get_rng_state();
        var tensors = model.NamedParameters().Select(p => new KeyValuePair<string, Tensor>(ModelPrefix + p.Name, p.Parameter))
            .Concat(optimizerState)
            .Append(new KeyValuePair<string, Tensor>(RandomStateName, rng));
        SafeTensorsFile.Write(path, tensors, metadata);

        // The pointer moves only after the checkpoint is complete on disk.
        var fileName = Path.GetFileName(path);
        AtomicFile.WriteAllText(Path.Combine(Directory, LatestPointer), fileName);
        var best = BestPath is { } bestPath ? ReadState(bestPath).ValidationLoss : null;
        if (state.ValidationLoss is { } loss && (best is null || loss <= best))
        {
            AtomicFile.WriteAllText(Path.Combine(Directory, BestPointer), fileName);
        }

        Prune();
        return path;
    }

    /// <summary>Reads and validates a checkpoint for resuming training of a model with <paramref name="config"/>.</summary>
    internal static SafeTensorsContent ReadForResume(string path, GptConfig config, string tokenizerFingerprint, out TrainerState state)
    {
        var content = ReadCheckpoint(path);
        var saved = GptModelFile.ReadConfig(content, path);
        if (saved != config)
        {
            throw new InvalidDataException($"The checkpoint '{path}' was saved from a model with configuration {saved}, but this run's model is {config}. Resume with the same preset and options, or start a new run folder.");
        }

        var fingerprint = content.Metadata.GetValueOrDefault(TokenizerKey);
        if (fingerprint != tokenizerFingerprint)
        {
            throw new InvalidDataException($"The checkpoint '{path}' was trained with another tokenizer (fingerprint {fingerprint ?? "none"}, this run has {tokenizerFingerprint}). Use the run folder's own tokenizer, or start a new run folder.");
        }

        state = ParseState(content, path);
        return content;
    }

    private static SafeTensorsContent ReadCheckpoint(string path)
    {
        var content = SafeTensorsFile.Read(path);
        var format = content.Metadata.GetValueOrDefault(GptModelFile.FormatKey);
        if (format != CheckpointFormat)
        {
            throw new InvalidDataException($"'{path}' is not a TinyGpt checkpoint (format '{format ?? "none"}').");
        }

        var version = content.Metadata.GetValueOrDefault(GptModelFile.VersionKey);
        if (version != CurrentVersion.ToString(CultureInfo.InvariantCulture))
        {
            throw new InvalidDataException($"'{path}' is a checkpoint of format version {version ?? "none"}; this TinyGpt reads version {CurrentVersion}.");
        }

        return content;
    }

    private static TrainerState ParseState(SafeTensorsContent content, string path)
    {
        try
        {
            return JsonSerializer.Deserialize<TrainerState>(content.Metadata.GetValueOrDefault(StateKey) ?? "null", GptModelFile.JsonOptions)
                ?? throw new InvalidDataException($"'{path}' has no trainer state.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' has a corrupt trainer state: {ex.Message}", ex);
        }
    }

    private string? ReadPointer(string name)
    {
        var pointer = Path.Combine(Directory, name);
        if (!File.Exists(pointer))
        {
            return null;
        }

        var target = Path.Combine(Directory, File.ReadAllText(pointer).Trim());
        return File.Exists(target) ? target : null;
    }

    private void Prune()
    {
        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in List().TakeLast(KeepLast))
        {
            keep.Add(path);
        }

        if (BestPath is { } best)
        {
            keep.Add(best);
        }

        if (LatestPath is { } latest)
        {
            keep.Add(latest);
        }

        foreach (var path in List().Where(p => !keep.Contains(p)))
        {
            File.Delete(path);
        }
    }
}
