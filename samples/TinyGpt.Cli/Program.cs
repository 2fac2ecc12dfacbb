// tinygpt: the WikiText pipeline from the command line. `tinygpt` alone runs all of it.
using System.CommandLine;
using Spectre.Console;
using TinyGpt.Cli;
using TinyGpt.Cli.Commands;

// Plain lines, without colour codes, when output goes to a file or a pipe (logs, mpirun, CI).
if (!CliErrors.Interactive)
{
    AnsiConsole.Profile.Capabilities.Ansi = false;
    AnsiConsole.Profile.Width = 200;
}

var root = new RootCommand("TinyGpt: train and run small GPT models on WikiText or your own text.")
{
    PrepareCommand.Create(),
    TrainCommand.Create(),
    EvalCommand.Create(),
    GenerateCommand.Create(),
    ExportCommand.Create(),
    InfoCommand.Create(),
    DdpCheckCommand.Create(),
    PipelineCommand.Create("run"),
};
var pipeline = PipelineCommand.Create("run");
foreach (var option in pipeline.Options)
{
    root.Options.Add(option);
}

root.Action = pipeline.Action;
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
