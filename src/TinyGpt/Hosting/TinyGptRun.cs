using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TinyGpt.Checkpoints;
using TinyGpt.Generation;
using TinyGpt.Modeling;
using TinyGpt.Runs;
using TinyGpt.Tokenization;
using TinyGpt.Training;

namespace TinyGpt.Hosting;

/// <summary>One-call loading of what a training run produced (a run folder of the CLI or of <see cref="GptBuilder"/>).</summary>
public static class TinyGptRun
{
    /// <summary>
    /// Loads a run's model and tokenizer as a ready <see cref="TextGenerator"/>: the final
    /// <c>model.safetensors</c> when training finished, otherwise the latest checkpoint.
    /// </summary>
    /// <param name="runDirectory">The run folder.</param>
    /// <param name="device"><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</param>
    /// <param name="logger">Told which file was loaded; null logs nothing.</param>
    /// <exception cref="FileNotFoundException">The folder was not prepared, or holds no trained model or checkpoint yet.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt or the tokenizer does not match.</exception>
    public static TextGenerator LoadGenerator(string runDirectory, string device = "cpu", ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(device);
        ITextTokenizer tokenizer;
        using (var run = PreparedRun.Open(runDirectory))
        {
            tokenizer = run.Tokenizer;
        }

        var model = LoadModel(runDirectory, device, logger);
        return new TextGenerator(model, tokenizer);
    }

    /// <summary>Loads a run's model (evaluation mode): <c>model.safetensors</c> when training finished, otherwise the latest checkpoint.</summary>
    /// <param name="runDirectory">The run folder.</param>
    /// <param name="device"><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</param>
    /// <param name="logger">Told which file was loaded; null logs nothing.</param>
    /// <exception cref="FileNotFoundException">The folder holds no trained model or checkpoint yet.</exception>
    public static GptModel LoadModel(string runDirectory, string device = "cpu", ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(device);
        logger ??= NullLogger.Instance;
        var run = new RunDirectory(runDirectory);
        var torchDevice = Trainer.ResolveDevice(device);
        if (File.Exists(run.ModelPath))
        {
            logger.LogInformation("Loading the TinyGpt model {Path} on {Device}.", run.ModelPath, device);
            return GptModelFile.Load(run.ModelPath, torchDevice);
        }

        var latest = new CheckpointStore(run.CheckpointsDirectory).LatestPath
            ?? throw new FileNotFoundException($"'{run.Path}' has no trained model yet (neither model.safetensors nor a checkpoint). Train the run first.", run.ModelPath);
        logger.LogInformation("Loading the TinyGpt checkpoint {Path} on {Device} (training has not finished).", latest, device);
        return CheckpointStore.LoadModel(latest, torchDevice);
    }
}
