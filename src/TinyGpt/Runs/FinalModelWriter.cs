using TinyGpt.Checkpoints;
using TinyGpt.Modeling;
using TinyGpt.Training;

namespace TinyGpt.Runs;

/// <summary>Writes a run's <c>model.safetensors</c> when training finishes.</summary>
internal sealed class FinalModelWriter(string path) : ITrainingObserver
{
    public void OnTrainingFinished(TrainingResult result, GptModel model) => ModelFile.Save(model, path, result.Steps);
}
