using TinyGpt.Checkpoints;
using TinyGpt.Generation;
using TinyGpt.Modeling;
using TinyGpt.Runs;
using TinyGpt.Training;

namespace TinyGpt.Tests.Training;

/// <summary>A trainer that keeps its checkpoints, metrics and final model in a folder, as a run folder does, for data that was never prepared.</summary>
internal static class FolderTraining
{
    public static Trainer Create(GptModel model, TrainingData data, TrainingOptions options, string folder) => new(model, data, options)
    {
        Checkpoints = new CheckpointStore(CheckpointsOf(folder), options.KeepCheckpoints),
        Observers = [new MetricsFile(MetricsOf(folder)), new FinalModelWriter(ModelOf(folder))],
        Sampler = options.SampleInterval > 0 ? new TrainingSampler(data.Tokenizer) : null,
    };

    public static string CheckpointsOf(string folder) => Path.Combine(folder, "checkpoints");

    public static string MetricsOf(string folder) => Path.Combine(folder, "metrics.jsonl");

    public static string ModelOf(string folder) => Path.Combine(folder, "model.safetensors");
}
