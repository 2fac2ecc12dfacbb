using System.CommandLine;
using TinyGpt.Runs;

namespace TinyGpt.Cli.Commands;

/// <summary><c>tinygpt eval</c>: loss, perplexities and bits per byte on a split.</summary>
internal static class EvalCommand
{
    public static readonly Option<string> Run = new("--run") { Description = "The run folder.", Required = true };
    public static readonly Option<string?> Split = new("--split") { Description = "valid or test (default: the run's evaluation split)." };
    public static readonly Option<bool> Json = new("--json") { Description = "Print one JSON object instead of a table." };
    public static readonly Option<string?> Checkpoint = new("--checkpoint") { Description = "Evaluate this checkpoint instead of the final model." };
    public static readonly Option<int?> Stride = new("--stride") { Description = "Tokens between evaluation windows (default: the context; smaller gives every scored token more context and costs context/stride times the work)." };

    public static Command Create()
    {
        var command = new Command("eval", "Evaluate the trained model: loss, token and word perplexity, bits per byte.") { Run, Split, Json, Checkpoint, Stride };
        command.SetAction((result, _) => CliErrors.RunAsync(() =>
        {
            using var run = PreparedRun.Open(result.GetValue(Run)!);
            var split = result.GetValue(Split) ?? run.Manifest.EvalSplit;
            var (model, source) = Workflows.LoadModel(run, result.GetValue(Checkpoint));
            using (model)
            {
                var evaluation = Workflows.Evaluate(run, model, split, stride: result.GetValue(Stride));
                if (result.GetValue(Json))
                {
                    Console.WriteLine(Workflows.EvaluationJson(split, evaluation, source));
                }
                else
                {
                    Workflows.PrintEvaluation(split, evaluation);
                }
            }

            return Task.FromResult(0);
        }));
        return command;
    }
}
