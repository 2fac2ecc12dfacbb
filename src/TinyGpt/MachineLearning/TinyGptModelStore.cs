using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TinyGpt.Generation;
using TinyGpt.Runs;
using TinyGpt.Serialization;
using TinyGpt.Text;

namespace TinyGpt.MachineLearning;

/// <summary>
/// The folder where fitted <see cref="TinyGptTransformer"/>s keep their model, tokenizer and
/// generation settings, one sub-folder per content hash. A saved ML.NET pipeline refers to its
/// model by that hash, so the zip loads in any process on a machine that has the store folder.
/// The folder is <c>TINYGPT_MLNET_MODELS</c> when set, otherwise <c>mlnet-models</c> in the TinyGpt
/// cache (<c>TINYGPT_CACHE</c> or <c>~/.cache/tinygpt</c>).
/// </summary>
public static class TinyGptModelStore
{
    /// <summary>The environment variable that moves the store.</summary>
    public const string EnvironmentVariable = "TINYGPT_MLNET_MODELS";

    private const string GenerationFile = "generation.json";
    private static readonly ConcurrentDictionary<string, Lazy<(TextGenerator Generator, GenerationOptions Options)>> Loaded = new(StringComparer.Ordinal);

    /// <summary>
    /// The device that stored models load onto when a reloaded pipeline first uses them: <c>cpu</c>
    /// (the default), <c>cuda</c> or <c>cuda:N</c>. Set it (or pass it to <c>RegisterTinyGpt</c>)
    /// before the first transform; models already loaded stay where they are.
    /// </summary>
    /// <exception cref="ArgumentException">Set to an empty name.</exception>
    public static string Device
    {
        get => _device;
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            _device = value;
        }
    }

    private static volatile string _device = "cpu";

    /// <summary>The store folder now in effect.</summary>
    public static string Directory =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : Path.Combine(DataCacheDirectory.Resolve(), "mlnet-models");

    /// <summary>The folder of the stored model <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentException">The id is not a model id.</exception>
    public static string PathOf(string id)
    {
        if (string.IsNullOrEmpty(id) || id.Length != 32 || !id.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException($"'{id}' is not a TinyGpt model id (32 lower-case hex digits).", nameof(id));
        }

        return Path.Combine(Directory, id);
    }

    /// <summary>Copies a trained run's model, tokenizer and the generation settings into the store; returns the id.</summary>
    internal static string Add(string runDirectory, GenerationOptions options)
    {
        var run = RunFolder.PathsOf(runDirectory);
        var generation = JsonSerializer.Serialize(options, JsonDefaults.Options);
        var tokenizerFiles = System.IO.Directory.GetFiles(run.TokenizerDirectory).Order(StringComparer.Ordinal).ToArray();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in new[] { run.ModelPath, run.ManifestPath }.Concat(tokenizerFiles))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(file)));
            hash.AppendData(File.ReadAllBytes(file));
        }

        hash.AppendData(Encoding.UTF8.GetBytes(generation));
        var id = Convert.ToHexStringLower(hash.GetHashAndReset())[..32];
        var target = PathOf(id);
        if (System.IO.Directory.Exists(target))
        {
            return id;
        }

        var staging = target + ".tmp-" + Guid.NewGuid().ToString("N");
        var stagedRun = RunFolder.PathsOf(staging);
        System.IO.Directory.CreateDirectory(stagedRun.TokenizerDirectory);
        File.Copy(run.ModelPath, stagedRun.ModelPath);
        File.Copy(run.ManifestPath, stagedRun.ManifestPath);
        foreach (var file in tokenizerFiles)
        {
            File.Copy(file, Path.Combine(stagedRun.TokenizerDirectory, Path.GetFileName(file)));
        }

        File.WriteAllText(Path.Combine(staging, GenerationFile), generation);
        try
        {
            System.IO.Directory.Move(staging, target);
        }
        catch (IOException) when (System.IO.Directory.Exists(target))
        {
            // Another process stored the same content first.
            System.IO.Directory.Delete(staging, recursive: true);
        }

        return id;
    }

    /// <summary>The generator and generation settings of a stored model, loaded once per process and device.</summary>
    /// <exception cref="FileNotFoundException">The store has no such model (the pipeline was fitted on another machine, or the store moved).</exception>
    internal static (TextGenerator Generator, GenerationOptions Options) Open(string id)
    {
        var folder = PathOf(id);
        var device = Device;
        var key = folder + "|" + device;
        var lazy = Loaded.GetOrAdd(key, _ => new Lazy<(TextGenerator, GenerationOptions)>(() => Load(folder, device), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            Loaded.TryRemove(new KeyValuePair<string, Lazy<(TextGenerator, GenerationOptions)>>(key, lazy));
            throw;
        }
    }

    /// <summary>Forgets the models loaded so far, so the next use reads them from the store again.</summary>
    internal static void ForgetLoaded() => Loaded.Clear();

    private static (TextGenerator, GenerationOptions) Load(string folder, string device)
    {
        var settings = Path.Combine(folder, GenerationFile);
        if (!File.Exists(settings))
        {
            throw new FileNotFoundException(
                $"The TinyGpt model '{Path.GetFileName(folder)}' that this ML.NET pipeline uses is not in the model store '{Path.GetDirectoryName(folder)}'. " +
                $"Copy that folder from the machine that fitted the pipeline, or point {EnvironmentVariable} at a store that has it.", settings);
        }

        var options = JsonSerializer.Deserialize<GenerationOptions>(File.ReadAllText(settings), JsonDefaults.Options)
            ?? throw new InvalidDataException($"'{settings}' is empty.");
        using var run = RunFolder.Open(folder);
        return (run.LoadGenerator(device), options);
    }
}
