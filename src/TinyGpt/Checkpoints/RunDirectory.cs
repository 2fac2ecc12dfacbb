namespace TinyGpt.Checkpoints;

/// <summary>
/// The folder of one training run: tokenizer files, cached token files, metrics, checkpoints, the
/// final model and the loss curve. Every command of the CLI takes one with <c>--run</c>.
/// </summary>
public sealed class RunDirectory
{
    /// <summary>Refers to the run folder at <paramref name="path"/> (created on first write).</summary>
    public RunDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>Where the tokenizer files (<c>vocab.json</c>, <c>merges.txt</c>) live.</summary>
    public string TokenizerDirectory => System.IO.Path.Combine(Path, "tokenizer");

    /// <summary>Where cached token files of the splits live.</summary>
    public string DataDirectory => System.IO.Path.Combine(Path, "data");

    /// <summary>What <c>prepare</c> recorded: corpus, splits and tokenizer kind.</summary>
    public string PreparationPath => System.IO.Path.Combine(Path, "prepare.json");

    /// <summary>The model configuration of the run.</summary>
    public string ConfigPath => System.IO.Path.Combine(Path, "config.json");

    /// <summary>The metrics file: one JSON object per line.</summary>
    public string MetricsPath => System.IO.Path.Combine(Path, "metrics.jsonl");

    /// <summary>The checkpoint folder.</summary>
    public string CheckpointsDirectory => System.IO.Path.Combine(Path, "checkpoints");

    /// <summary>The final weights with configuration (a TinyGpt model file).</summary>
    public string ModelPath => System.IO.Path.Combine(Path, "model.safetensors");

    /// <summary>The loss-curve picture.</summary>
    public string LossCurvePath => System.IO.Path.Combine(Path, "loss.png");

    /// <summary>Creates the folder if needed.</summary>
    public RunDirectory Create()
    {
        Directory.CreateDirectory(Path);
        return this;
    }
}
