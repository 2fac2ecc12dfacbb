using System.CommandLine;
using System.Diagnostics;
using TinyGpt.Runs;
using TinyGpt.Training;
using TinyGpt.Validation;

namespace TinyGpt.Cli.Commands;

/// <summary><c>tinygpt eval</c>: loss, perplexities and bits per byte on a split.</summary>
internal static class EvalCommand
{
    public static readonly Option<string> Run = new("--run") { Description = "The run folder.", Required = true };
    public static readonly Option<string> Split = CliOptions.Split("--split", "The split to score (default: the run's evaluation split).", null);
    public static readonly Option<bool> Json = new("--json") { Description = "Print one JSON object instead of a table." };
    public static readonly Option<string?> Checkpoint = new("--checkpoint") { Description = "Evaluate this model file, checkpoint or Hugging Face folder instead of the run's newest model." };
    public static readonly Option<int?> Stride = new("--stride") { Description = "Tokens between evaluation windows (default: the context; smaller gives every scored token more context and costs context/stride times the work)." };
    public static readonly Option<string> Device = CliOptions.Device();
    public static readonly Option<bool> Dynamic = new("--dynamic") { Description = "Also score with dynamic evaluation (the model adapts to the text as it reads it, one gradient step per scored segment); reported beside the static score. The model on disk is unchanged." };
    public static readonly Option<double> DynamicLearningRate = new("--dynamic-lr") { Description = "Step size of dynamic evaluation's gradient steps.", DefaultValueFactory = _ => new DynamicEvaluationSettings().LearningRate };
    public static readonly Option<double> DynamicDecay = new("--dynamic-decay") { Description = "Share of the way back to the trained weights after each dynamic step, in [0, 1).", DefaultValueFactory = _ => new DynamicEvaluationSettings().Decay };

    public static Command Create()
    {
        var command = new Command("eval", "Evaluate the trained model: loss, token and word perplexity, bits per byte.") { Run, Split, Json, Checkpoint, Stride, Device, Dynamic, DynamicLearningRate, DynamicDecay };
        command.SetAction((result, cancellationToken) => CliErrors.RunAsync(() =>
        {
            using var run = RunFolder.Open(result.GetValue(Run)!);
            var split = result.GetValue(Split) ?? run.Manifest.EvalSplit;
            var loaded = run.LoadModel(result.GetValue(Device)!, result.GetValue(Checkpoint));
            using (loaded.Model)
            {
                var dynamic = result.GetValue(Dynamic)
                    ? new DynamicEvaluationSettings { LearningRate = result.GetValue(DynamicLearningRate), Decay = result.GetValue(DynamicDecay) }.EnsureValid()
                    : null;
                var watch = Stopwatch.StartNew();
                var evaluation = new TimedEvaluation(Evaluate(run, loaded.Model, split, result.GetValue(Stride), cancellationToken), watch.Elapsed);
                TimedEvaluation? adapted = null;
                if (dynamic is not null)
                {
                    var info = run.GetSplit(split);
                    watch.Restart();
                    adapted = new TimedEvaluation(DynamicEvaluator.Evaluate(loaded.Model, run.OpenTokens(split), dynamic with { Bytes = info.Bytes, Words = info.Words }, cancellationToken), watch.Elapsed);
                }

                if (result.GetValue(Json))
                {
                    Console.WriteLine(EvaluationOutput.Json(split, evaluation, loaded.Source, adapted, dynamic));
                }
                else
                {
                    EvaluationOutput.PrintTable(split, evaluation, adapted);
                }
            }

            return Task.FromResult(0);
        }));
        return command;
    }

    public static EvaluationResult Evaluate(RunFolder run, TinyGpt.Modeling.GptModel model, string split, int? stride, CancellationToken cancellationToken)
    {
        var info = run.GetSplit(split);
        return ModelEvaluator.Evaluate(model, run.OpenTokens(split), new EvaluationSettings { BatchSize = 8, Stride = stride, Bytes = info.Bytes, Words = info.Words }, cancellationToken: cancellationToken);
    }
}
