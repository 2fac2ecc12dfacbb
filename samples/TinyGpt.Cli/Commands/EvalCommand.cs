using System.CommandLine;
using TinyGpt.Runs;
using TinyGpt.Training;

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

    public static Command Create()
    {
        var command = new Command("eval", "Evaluate the trained model: loss, token and word perplexity, bits per byte.") { Run, Split, Json, Checkpoint, Stride, Device };
        command.SetAction((result, cancellationToken) => CliErrors.RunAsync(() =>
        {
            using var run = RunFolder.Open(result.GetValue(Run)!);
            var split = result.GetValue(Split) ?? run.Manifest.EvalSplit;
            var loaded = run.LoadModel(result.GetValue(Device)!, result.GetValue(Checkpoint));
            using (loaded.Model)
            {
                var evaluation = Evaluate(run, loaded.Model, split, result.GetValue(Stride), cancellationToken);
                if (result.GetValue(Json))
                {
                    Console.WriteLine(EvaluationOutput.Json(split, evaluation, loaded.Source));
                }
                else
                {
                    EvaluationOutput.PrintTable(split, evaluation);
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
