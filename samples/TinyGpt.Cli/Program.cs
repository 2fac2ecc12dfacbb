// tinygpt: the WikiText pipeline from the command line. `tinygpt` alone runs all of it.
using System.CommandLine;
using TinyGpt.Cli.Commands;

var root = new RootCommand("TinyGpt: train and run small GPT models on WikiText or your own text.")
{
    PrepareCommand.Create(),
    TrainCommand.Create(),
    EvalCommand.Create(),
    GenerateCommand.Create(),
    InfoCommand.Create(),
    PipelineCommand.Create("run"),
};
var pipeline = PipelineCommand.Create("run");
foreach (var option in pipeline.Options)
{
    root.Options.Add(option);
}

root.Action = pipeline.Action;
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
