using System.Text.Json;
using TinyGpt.Checkpoints;
using TinyGpt.Modeling;

namespace TinyGpt.Distributed.Tests.Training;

/// <summary>What rank 0 of a test host <c>train</c> run left in its folder: per-step losses and the final weights.</summary>
internal sealed class TrainingRunOutput : IDisposable
{
    private TrainingRunOutput(IReadOnlyList<double> losses, GptModel model)
    {
        Losses = losses;
        Model = model;
    }

    /// <summary>The training loss of each step, in order (from metrics.jsonl).</summary>
    public IReadOnlyList<double> Losses { get; }

    /// <summary>The saved final model.</summary>
    public GptModel Model { get; }

    public static TrainingRunOutput Read(string folder)
    {
        var losses = new List<double>();
        foreach (var line in File.ReadLines(Path.Combine(folder, "metrics.jsonl")))
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.GetProperty("type").GetString() == "train")
            {
                losses.Add(document.RootElement.GetProperty("loss").GetDouble());
            }
        }

        return new TrainingRunOutput(losses, ModelFile.Load(Path.Combine(folder, "model.safetensors")));
    }

    /// <summary>The largest absolute difference between any two corresponding weights.</summary>
    public double MaxWeightDifference(TrainingRunOutput other)
    {
        var theirs = other.Model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        double max = 0;
        foreach (var (name, parameter) in Model.NamedParameters())
        {
            max = Math.Max(max, (parameter - theirs[name]).abs().max().item<float>());
        }

        return max;
    }

    public void Dispose() => Model.Dispose();
}
