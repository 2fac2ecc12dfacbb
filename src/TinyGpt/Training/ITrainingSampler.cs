using TinyGpt.Modeling;

namespace TinyGpt.Training;

/// <summary>
/// Writes a short sample of the model's text during training, every
/// <see cref="TrainingOptions.SampleInterval"/> steps, for the log. <c>TinyGpt.Generation.TrainingSampler</c>
/// generates one with the run's tokenizer.
/// </summary>
public interface ITrainingSampler
{
    /// <summary>Returns a sample of text from <paramref name="model"/>, which may be left in evaluation mode.</summary>
    string Sample(GptModel model, TrainingOptions options);
}
