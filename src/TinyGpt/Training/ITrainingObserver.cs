using TinyGpt.Modeling;

namespace TinyGpt.Training;

/// <summary>
/// Hears what a <see cref="Trainer"/> does, on the training thread, between steps, on the rank that
/// writes files (rank 0): the metrics file, TensorBoard, charts and final-model writers are
/// observers. Every method does nothing unless implemented. Time spent here does not count towards
/// the training throughput.
/// </summary>
public interface ITrainingObserver
{
    /// <summary>Training is about to take its first step (of this process: <see cref="TrainingStarted.StartStep"/> is not 0 after a resume).</summary>
    void OnTrainingStarted(TrainingStarted started)
    {
    }

    /// <summary>A logged step finished (every <see cref="TrainingOptions.LogInterval"/> steps, and the first and last).</summary>
    void OnStep(TrainingProgress progress)
    {
    }

    /// <summary>An evaluation of the validation split finished.</summary>
    void OnEvaluation(EvaluationReport report)
    {
    }

    /// <summary>A checkpoint of the last completed step was written to <paramref name="path"/>.</summary>
    void OnCheckpointSaved(int step, string path)
    {
    }

    /// <summary><see cref="Trainer.Sampler"/> wrote a sample of the model's text at <paramref name="step"/>.</summary>
    void OnSample(int step, string text)
    {
    }

    /// <summary>The whole run finished (not called when it stopped early or failed); <paramref name="model"/> holds the final weights.</summary>
    void OnTrainingFinished(TrainingResult result, GptModel model)
    {
    }
}
