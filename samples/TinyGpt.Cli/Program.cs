// tinygpt: the WikiText pipeline from the command line. `tinygpt` alone runs all of it.
using System.CommandLine;
using Spectre.Console;
using TinyGpt.Cli;
using TinyGpt.Cli.Commands;
using TinyGpt.Distributed.Launch;
using TinyGpt.Torch;

// First of all, before other threads start: restart in place with glibc's heap set to keep freed
// tensors' memory for the next step instead of page-faulting it in again (NativeHeap; 1.2-1.5x
// faster training). TINYGPT_NATIVE_HEAP=default keeps glibc's defaults.
NativeHeap.RestartToReuseFreedMemory();

// Under mpirun or srun the ranks' output is a pseudo-terminal relayed into logs: make .NET and
// Spectre.Console treat it as the plain text it ends up as (no terminal set-up codes, no colour).
if (LaunchEnvironment.Detect().IsUnderLauncher)
{
    Environment.SetEnvironmentVariable("TERM", "dumb");
}

if (!CliErrors.Interactive)
{
    AnsiConsole.Profile.Capabilities.Ansi = false;
    AnsiConsole.Profile.Width = 200;
}

// Ctrl+C and SIGTERM stop at the next step boundary with a checkpoint (StopSignals), never on a timer.
using var signals = StopSignals.Install();
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
root.HelpName = "tinygpt";
var pipeline = PipelineCommand.Create("run");
foreach (var option in pipeline.Options)
{
    root.Options.Add(option);
}

root.Action = pipeline.Action;
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    return CliErrors.ReportParseErrors(parsed);
}

var exitCode = await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, signals.Token).ConfigureAwait(false);
BackgroundLineWriter.Instance.Dispose();
return exitCode;
