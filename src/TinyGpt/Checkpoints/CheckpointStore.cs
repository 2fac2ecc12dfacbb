using System.Globalization;
using System.Text.Json;
using TinyGpt.Modeling;
using TinyGpt.Serialization;
using TinyGpt.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Checkpoints;

/// <summary>
/// The checkpoints of a run, as files in one folder: <c>step-NNNNNNNN.safetensors</c> holding the
/// model's weights, the optimizer's moments, the torch random state and the <see cref="TrainerState"/>,
/// each written completely or not at all. A <c>latest</c> pointer names the newest checkpoint and a
/// <c>best</c> pointer the one with the lowest validation loss (and that loss); older ones beyond
/// the last N are deleted. Saving and restoring live side by side here.
/// </summary>
public sealed class CheckpointStore : ITrainingCheckpoints
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

    /// <summary>The file the <c>latest</c> pointer names, when it exists (it is checked only when loaded).</summary>
    public string? LatestPath => ReadPointer(LatestPointer)?.Path;

    /// <summary>The checkpoint with the lowest validation loss, or null when none was evaluated.</summary>
    public string? BestPath => ReadPointer(BestPointer)?.Path;

    /// <summary>Checkpoint files in the folder, oldest first.</summary>
    public IReadOnlyList<string> List() =>
        System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.GetFiles(Directory, "step-*.safetensors").Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>Loads the model of a checkpoint for generation or evaluation (in evaluation mode).</summary>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt, or not a TinyGpt checkpoint of a supported version.</exception>
    public static GptModel LoadModel(string path, Device? device = null)
    {
        using var content = Open(path, verify: true);
        return ModelFile.CreateModel(content, path, device, ModelPrefix);
    }

    /// <summary>Reads the trainer state of a checkpoint (its header only).</summary>
    /// <exception cref="InvalidDataException">The file is not a TinyGpt checkpoint.</exception>
    public static TrainerState ReadState(string path)
    {
        using var content = Open(path, verify: false);
        return ParseState(content, path);
    }

    /// <summary>The fingerprint of the tokenizer a checkpoint was trained with (its header only).</summary>
    /// <exception cref="InvalidDataException">The file is not a TinyGpt checkpoint.</exception>
    public static string? ReadTokenizerFingerprint(string path)
    {
        using var content = Open(path, verify: false);
        return content.Metadata.GetValueOrDefault(TokenizerKey);
    }

    /// <summary>Reads the model configuration of a checkpoint (its header only).</summary>
    /// <exception cref="InvalidDataException">The file is not a TinyGpt checkpoint.</exception>
    public static GptConfig ReadConfig(string path)
    {
        using var content = Open(path, verify: false);
        return ModelFile.ReadConfig(content, path);
    }

    /// <inheritdoc />
    public string Save(TrainerState state, GptModel model, IReadOnlyList<KeyValuePair<string, Tensor>> optimizerState, string tokenizerFingerprint)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizerState);
        var path = Path.Combine(Directory, $"step-{state.Step.ToString("D8", CultureInfo.InvariantCulture)}.safetensors");
        var metadata = ModelFile.Metadata(model.Config, CheckpointFormat, CurrentVersion);
        metadata[TokenizerKey] = tokenizerFingerprint;
        metadata[StateKey] = JsonSerializer.Serialize(state, JsonDefaults.Options);
        using var rng = torch.get_rng_state();
        SafeTensorsFile.Write(path, ModelFile.Weights(model, ModelPrefix).Concat(optimizerState).Append(new(RandomStateName, rng)), metadata);

        // The pointers move only after the checkpoint is complete on disk. The best pointer keeps
        // its loss, so that saving never has to read an earlier checkpoint back.
        var fileName = Path.GetFileName(path);
        AtomicFile.WriteAllText(Path.Combine(Directory, LatestPointer), fileName);
        if (state.ValidationLoss is { } loss && (BestLoss() is not { } bestLoss || loss <= bestLoss))
        {
            AtomicFile.WriteAllText(Path.Combine(Directory, BestPointer), $"{fileName}\n{loss.ToString("R", CultureInfo.InvariantCulture)}");
        }

        Prune();
        return path;
    }

    /// <inheritdoc />
    public RestoredCheckpoint? RestoreLatest(GptModel model, IReadOnlyList<KeyValuePair<string, Tensor>> optimizerState, string tokenizerFingerprint)
    {
        // The newest checkpoint that reads back whole: the one `latest` names, then the others,
        // newest first. A kill between writing a checkpoint and moving the pointer, or a damaged
        // file, must not strand a run whose older checkpoints are fine.
        var named = ReadPointer(LatestPointer, mustExist: false);
        var candidates = new List<string>();
        if (named is not null)
        {
            candidates.Add(named.Path);
        }

        candidates.AddRange(List().Reverse().Where(p => !candidates.Contains(p, StringComparer.Ordinal)));
        var skipped = new List<string>();
        foreach (var path in candidates)
        {
            try
            {
                var restored = Restore(path, model, optimizerState, tokenizerFingerprint);
                var note = skipped.Count == 0 ? null
                    : $"Resuming from {Path.GetFileName(path)}, the newest complete checkpoint: {string.Join("; ", skipped)}.";
                return restored with { Note = note };
            }
            catch (FileNotFoundException)
            {
                skipped.Add($"{LatestPointer} names {Path.GetFileName(path)}, which does not exist");
            }
            catch (InvalidDataException ex)
            {
                skipped.Add($"{Path.GetFileName(path)} cannot be read ({ex.Message})");
            }
        }

        return skipped.Count == 0 ? null
            : throw new InvalidDataException($"'{Directory}' holds no complete checkpoint: {string.Join("; ", skipped)}. Train without resuming to start again.");
    }

    /// <inheritdoc />
    public RestoredCheckpoint Restore(string path, GptModel model, IReadOnlyList<KeyValuePair<string, Tensor>> optimizerState, string tokenizerFingerprint)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizerState);
        using var content = Open(path, verify: true);
        var state = CheckCompatible(content, path, model.Config, tokenizerFingerprint);
        ModelFile.LoadWeights(model, content, path, ModelPrefix);
        // What the file lacks is the trainer's to judge: a weight average may start late, moments may not.
        var missing = new List<string>();
        foreach (var (name, tensor) in optimizerState)
        {
            if (content.Entries.ContainsKey(name))
            {
                content.CopyInto(name, tensor);
            }
            else
            {
                missing.Add(name);
            }
        }

        using var rng = content.Load(RandomStateName);
        torch.set_rng_state(rng);
        return new RestoredCheckpoint(path, state, null) { MissingState = missing };
    }

    /// <summary>
    /// Checks, from its header alone, that a checkpoint can continue training a model of
    /// <paramref name="config"/> with the tokenizer <paramref name="tokenizerFingerprint"/>.
    /// </summary>
    /// <exception cref="CheckpointMismatchException">It was saved from another model or tokenizer.</exception>
    /// <exception cref="InvalidDataException">It is not a TinyGpt checkpoint.</exception>
    public static TrainerState CheckCompatible(string path, GptConfig config, string tokenizerFingerprint)
    {
        using var content = Open(path, verify: false);
        return CheckCompatible(content, path, config, tokenizerFingerprint);
    }

    /// <summary>Deletes the temporary files that writers killed mid-write left in the folder.</summary>
    /// <returns>The files deleted.</returns>
    public IReadOnlyList<string> RemoveAbandonedTemporaryFiles() => AtomicFile.RemoveAbandoned(Directory);

    private static TrainerState CheckCompatible(SafeTensorsContent content, string path, GptConfig config, string tokenizerFingerprint)
    {
        var saved = ModelFile.ReadConfig(content, path);
        if (saved != config)
        {
            throw new CheckpointMismatchException($"The checkpoint '{path}' was saved from another model than this run's: {Differences(saved, config)}. Resume with the same model settings, or train a new run.");
        }

        var fingerprint = content.Metadata.GetValueOrDefault(TokenizerKey);
        if (fingerprint != tokenizerFingerprint)
        {
            throw new CheckpointMismatchException($"The checkpoint '{path}' was trained with another tokenizer (fingerprint {fingerprint ?? "none"}, this run has {tokenizerFingerprint}). Use the run folder's own tokenizer, or train a new run.");
        }

        return ParseState(content, path);
    }

    private static string Differences(GptConfig saved, GptConfig wanted) =>
        string.Join(", ", saved.DifferencesFrom(wanted, "in the checkpoint", "now"));

    private static SafeTensorsContent Open(string path, bool verify)
    {
        var content = SafeTensorsFile.Open(path, verify);
        try
        {
            ModelFile.RequireFormat(content, path, CheckpointFormat, CurrentVersion);
            return content;
        }
        catch
        {
            content.Dispose();
            throw;
        }
    }

    private static TrainerState ParseState(SafeTensorsContent content, string path)
    {
        try
        {
            return JsonSerializer.Deserialize<TrainerState>(content.Metadata.GetValueOrDefault(StateKey) ?? "null", JsonDefaults.Options)
                ?? throw new InvalidDataException($"'{path}' has no trainer state.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' has a corrupt trainer state: {ex.Message}", ex);
        }
    }

    private Pointer? ReadPointer(string name, bool mustExist = true)
    {
        var pointer = Path.Combine(Directory, name);
        if (!File.Exists(pointer))
        {
            return null;
        }

        var lines = File.ReadAllText(pointer).Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
        {
            return null;
        }

        var target = Path.Combine(Directory, lines[0]);
        double? loss = lines.Length > 1 && double.TryParse(lines[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;
        return !mustExist || File.Exists(target) ? new Pointer(target, loss) : null;
    }

    private double? BestLoss() =>
        ReadPointer(BestPointer) is { } best
            ? best.Loss ?? ReadState(best.Path).ValidationLoss // pointers of TinyGpt 0.1 hold only the file name
            : null;

    private void Prune()
    {
        var keep = new HashSet<string>(List().TakeLast(KeepLast), StringComparer.Ordinal);
        foreach (var pointer in new[] { BestPath, LatestPath })
        {
            if (pointer is not null)
            {
                keep.Add(pointer);
            }
        }

        foreach (var path in List().Where(p => !keep.Contains(p)))
        {
            File.Delete(path);
        }
    }

    private sealed record Pointer(string Path, double? Loss);
}
