using TinyGpt.Modeling;
using TinyGpt.Reporting;
using TinyGpt.Training;

namespace TinyGpt.Runs;

/// <summary>Draws a run's <c>loss.png</c> when training finishes, from the whole run's curves in its metrics file.</summary>
internal sealed class LossCurveWriter(string path, MetricsFile metrics) : ITrainingObserver
{
    public void OnTrainingFinished(TrainingResult result, GptModel model) =>
        LossCurveChart.WritePng(path, metrics.TrainingCurve, metrics.ValidationCurve, $"TinyGpt {model.CountParameters().Total / 1e6:F1}M params");
}
