// Trains a TinyGpt model inside an ML.NET pipeline, saves the pipeline as a zip, loads it in a fresh
// MLContext (as another process would) and completes prompts with a prediction engine.
//
//   dotnet run --project samples/TinyGpt.MLNet -- [text-file] [work-folder]
//   dotnet run --project samples/TinyGpt.MLNet -- --load work-folder/tinygpt-pipeline.zip "prompt" ...
using Microsoft.ML;
using TinyGpt.MachineLearning;
using TinyGpt.Samples.MLNet;

if (args.Length > 1 && args[0] == "--load")
{
    // Another process: only the zip and the model store are needed.
    var context = new MLContext().RegisterTinyGpt();
    var pipeline = context.Model.Load(args[1], out _);
    using var predictor = context.Model.CreatePredictionEngine<PromptRow, CompletionRow>(pipeline);
    foreach (var prompt in args.Skip(2))
    {
        Console.WriteLine($"{prompt} -> {predictor.Predict(new PromptRow { Prompt = prompt }).Generated}");
    }

    return;
}

var textFile = args.Length > 0 && args[0].Length > 0 ? args[0] : null;
var work = Path.GetFullPath(args.Length > 1 ? args[1] : Path.Combine("runs", "mlnet-sample"));
var lines = textFile is null ? SampleText.Lines : File.ReadAllLines(textFile);

var ml = new MLContext(seed: 1);
var data = ml.Data.LoadFromEnumerable(lines.Select(line => new TextRow { Text = line }));
var estimator = ml.Transforms.Text.TrainTinyGpt(ml, new TinyGptEstimatorOptions
{
    RunDirectory = Path.Combine(work, "run"),
    TextColumnName = nameof(TextRow.Text),
    PromptColumnName = nameof(PromptRow.Prompt),
    OutputColumnName = nameof(CompletionRow.Generated),
    VocabSize = 400,
    ContextLength = 64,
    MaxSteps = 150,
    BatchSize = 8,
    LearningRate = 3e-3,
    MaxNewTokens = 24,
});

Console.WriteLine($"Training on {lines.Length} lines...");
var model = estimator.Fit(data);
var zip = Path.Combine(work, "tinygpt-pipeline.zip");
var prompts = ml.Data.LoadFromEnumerable(new[] { new PromptRow { Prompt = "the quick brown" } });
ml.Model.Save(model, prompts.Schema, zip);
Console.WriteLine($"Saved {zip} (model {model.ModelId} in {TinyGptModelStore.Directory}).");

// Loading elsewhere: register TinyGpt's custom mapping first, then load as usual.
var other = new MLContext().RegisterTinyGpt();
var loaded = other.Model.Load(zip, out _);
using var engine = other.Model.CreatePredictionEngine<PromptRow, CompletionRow>(loaded);
foreach (var prompt in new[] { "the quick brown", "a small model", "every line" })
{
    var completion = engine.Predict(new PromptRow { Prompt = prompt });
    Console.WriteLine($"{prompt} -> {completion.Generated}");
}
