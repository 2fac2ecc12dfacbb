using System.CommandLine;
using TinyGpt.Generation;
using TinyGpt.Runs;

namespace TinyGpt.Cli.Commands;

/// <summary><c>tinygpt generate</c>: streams a completion of a prompt.</summary>
internal static class GenerateCommand
{
    public static readonly Option<string> Run = new("--run") { Description = "The run folder.", Required = true };
    public static readonly Option<string> Prompt = new("--prompt") { Description = "Text to continue.", DefaultValueFactory = _ => string.Empty };
    public static readonly Option<string> Method = new("--method") { Description = "greedy, top-k or top-p.", DefaultValueFactory = _ => "top-k" };
    public static readonly Option<double> Temperature = new("--temperature") { Description = "Sampling temperature (0: greedy).", DefaultValueFactory = _ => 0.8 };
    public static readonly Option<int> TopK = new("--top-k") { Description = "k of top-k sampling.", DefaultValueFactory = _ => 40 };
    public static readonly Option<double> TopP = new("--top-p") { Description = "p of nucleus sampling.", DefaultValueFactory = _ => 0.9 };
    public static readonly Option<double> RepetitionPenalty = new("--repetition-penalty") { Description = "Penalty of repeated tokens (1: off).", DefaultValueFactory = _ => 1.0 };
    public static readonly Option<int> MaxNewTokens = new("--max-new-tokens") { Description = "Most tokens to generate.", DefaultValueFactory = _ => 100 };
    public static readonly Option<long?> Seed = new("--seed") { Description = "Seed for reproducible sampling." };
    public static readonly Option<string?> Checkpoint = new("--checkpoint") { Description = "Generate with this checkpoint instead of the final model." };

    public static Command Create()
    {
        var command = new Command("generate", "Generate text from the trained model, streaming it as it forms.")
        {
            Run, Prompt, Method, Temperature, TopK, TopP, RepetitionPenalty, MaxNewTokens, Seed, Checkpoint,
        };
        command.SetAction((result, cancellationToken) => CliErrors.RunAsync(async () =>
        {
            using var run = PreparedRun.Open(result.GetValue(Run)!);
            var (model, _) = Workflows.LoadModel(run, result.GetValue(Checkpoint));
            using (model)
            {
                await Workflows.GenerateAsync(run, model, result.GetValue(Prompt) ?? string.Empty, ReadOptions(result), cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }));
        return command;
    }

    public static GenerationOptions ReadOptions(ParseResult result)
    {
        var method = (result.GetValue(Method) ?? "top-k").ToUpperInvariant();
        var sampling = method switch
        {
            "GREEDY" => SamplingOptions.Greedy,
            "TOP-K" => new SamplingOptions { Temperature = result.GetValue(Temperature), TopK = result.GetValue(TopK) },
            "TOP-P" => new SamplingOptions { Temperature = result.GetValue(Temperature), TopP = result.GetValue(TopP) },
            _ => throw new ArgumentException($"Unknown --method '{result.GetValue(Method)}'. Use greedy, top-k or top-p."),
        };
        sampling = sampling with { Seed = result.GetValue(Seed), RepetitionPenalty = result.GetValue(RepetitionPenalty) };
        return new GenerationOptions { MaxNewTokens = result.GetValue(MaxNewTokens), Sampling = sampling, ContextOverflow = ContextOverflow.KeepLastTokens };
    }
}
