using System.Text.Json;
using TinyGpt.Checkpoints;
using TinyGpt.Tokenization;
using TinyGpt.Tokens;
using TinyGpt.Training;

namespace TinyGpt.Runs;

/// <summary>A run folder that <see cref="RunPreparer"/> has prepared: its tokenizer and encoded splits.</summary>
public sealed class PreparedRun : IDisposable
{
    private readonly Dictionary<string, TokenFile> _open = new(StringComparer.Ordinal);

    private PreparedRun(RunDirectory directory, RunManifest manifest, ITextTokenizer tokenizer)
    {
        Directory = directory;
        Manifest = manifest;
        Tokenizer = tokenizer;
    }

    /// <summary>The run folder.</summary>
    public RunDirectory Directory { get; }

    /// <summary>What was prepared.</summary>
    public RunManifest Manifest { get; }

    /// <summary>The run's tokenizer.</summary>
    public ITextTokenizer Tokenizer { get; }

    /// <summary>Opens a prepared run folder.</summary>
    /// <exception cref="FileNotFoundException">The folder was not prepared; run <c>tinygpt prepare</c> first.</exception>
    public static PreparedRun Open(string path)
    {
        var directory = new RunDirectory(path);
        if (!File.Exists(directory.PreparationPath))
        {
            throw new FileNotFoundException($"'{directory.Path}' is not a prepared run folder (no prepare.json). Run 'tinygpt prepare --run {path}' first.", directory.PreparationPath);
        }

        var manifest = JsonSerializer.Deserialize<RunManifest>(File.ReadAllText(directory.PreparationPath), RunPreparer.Json)
            ?? throw new InvalidDataException($"'{directory.PreparationPath}' is empty.");
        var tokenizer = manifest.Tokenizer.Equals("gpt2", StringComparison.OrdinalIgnoreCase) ? TextTokenizers.Gpt2() : TextTokenizers.Load(directory.TokenizerDirectory);
        if (tokenizer.Fingerprint != manifest.TokenizerFingerprint)
        {
            throw new InvalidDataException($"The tokenizer in '{directory.TokenizerDirectory}' is not the one the splits were encoded with. Run 'tinygpt prepare' again.");
        }

        return new PreparedRun(directory, manifest, tokenizer);
    }

    /// <summary>The prepared split named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The run has no such split.</exception>
    public PreparedSplit GetSplit(string name) =>
        Manifest.Splits.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException($"This run has no '{name}' split; it has: {string.Join(", ", Manifest.Splits.Select(s => s.Name))}.", nameof(name));

    /// <summary>The tokens of a split, memory-mapped.</summary>
    public TokenFile OpenTokens(string name)
    {
        if (!_open.TryGetValue(name, out var file))
        {
            file = TokenFile.Open(Path.Combine(Directory.Path, GetSplit(name).TokenFile));
            _open[name] = file;
        }

        return file;
    }

    /// <summary>Training data: the training split, and the evaluation split for validation.</summary>
    public TrainingData CreateTrainingData()
    {
        var eval = GetSplit(Manifest.EvalSplit);
        return new TrainingData(OpenTokens(Manifest.TrainSplit), Tokenizer)
        {
            Validation = OpenTokens(eval.Name),
            ValidationBytes = eval.Bytes,
            ValidationWords = eval.Words,
        };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var file in _open.Values)
        {
            file.Dispose();
        }

        _open.Clear();
    }
}
