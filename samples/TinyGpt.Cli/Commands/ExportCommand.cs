using System.CommandLine;
using TinyGpt.Interchange;
using TinyGpt.Runs;

namespace TinyGpt.Cli.Commands;

/// <summary><c>tinygpt export</c>: the trained model as a Hugging Face GPT-2 folder.</summary>
internal static class ExportCommand
{
    public static readonly Option<string> Run = new("--run") { Description = "The run folder.", Required = true };
    public static readonly Option<string> Output = new("--output") { Description = "Folder to write model.safetensors, config.json, generation_config.json and the tokenizer files into.", Required = true };
    public static readonly Option<string?> Checkpoint = new("--checkpoint") { Description = "Export this model file or checkpoint instead of the run's newest model." };

    public static Command Create()
    {
        var command = new Command("export", "Export the model with GPT-2 tensor names (safetensors + config.json) for Hugging Face tools.") { Run, Output, Checkpoint };
        command.SetAction(result => CliErrors.RunAsync(() =>
        {
            var folder = Path.GetFullPath(result.GetValue(Output)!);
            if (File.Exists(folder))
            {
                throw new ArgumentException($"--output '{folder}' is a file; give a folder (it is created if needed).");
            }

            using var run = RunFolder.Open(result.GetValue(Run)!);
            var loaded = run.LoadModel("cpu", result.GetValue(Checkpoint));
            using (loaded.Model)
            {
                HuggingFaceGpt2.Export(loaded.Model, folder, run.Tokenizer);
            }

            Console.WriteLine($"Exported {loaded.Source} to {folder} (GPT-2 layout).");
            return Task.FromResult(0);
        }));
        return command;
    }
}
