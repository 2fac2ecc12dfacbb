using System.CommandLine;
using TinyGpt.Checkpoints;
using TinyGpt.Runs;

namespace TinyGpt.Cli.Commands;

/// <summary><c>tinygpt export</c>: the trained model as a Hugging Face GPT-2 folder.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var run = new Option<string>("--run") { Description = "The run folder.", Required = true };
        var output = new Option<string>("--output") { Description = "Folder to write model.safetensors, config.json and the tokenizer files into.", Required = true };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Export this checkpoint instead of the final model." };
        var command = new Command("export", "Export the model with GPT-2 tensor names (safetensors + config.json) for Hugging Face tools.") { run, output, checkpoint };
        command.SetAction(result => CliErrors.RunAsync(() =>
        {
            using var prepared = PreparedRun.Open(result.GetValue(run)!);
            var folder = result.GetValue(output)!;
            var (model, source) = Workflows.LoadModel(prepared, result.GetValue(checkpoint));
            using (model)
            {
                Gpt2SafeTensors.Export(model, folder);
            }

            foreach (var file in new[] { "vocab.json", "merges.txt", "tokenizer.json" })
            {
                var from = Path.Combine(prepared.Directory.TokenizerDirectory, file);
                if (File.Exists(from))
                {
                    File.Copy(from, Path.Combine(folder, file), overwrite: true);
                }
            }

            Console.WriteLine($"Exported {source} to {Path.GetFullPath(folder)} (GPT-2 layout).");
            return Task.FromResult(0);
        }));
        return command;
    }
}
