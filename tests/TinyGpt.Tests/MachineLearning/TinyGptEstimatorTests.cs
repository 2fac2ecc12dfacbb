using System.Diagnostics;
using System.Reflection;
using Microsoft.ML;
using TinyGpt.MachineLearning;
using TinyGpt.Modeling;
using TinyGpt.Tests.Data;

namespace TinyGpt.Tests.MachineLearning;

[Collection(TrainingCollection.Name)]
public sealed class TinyGptEstimatorTests : IDisposable
{
    private static readonly string[] Sentences =
    [
        "the quick brown fox jumps over the lazy dog.",
        "a small model learns to repeat what it reads.",
        "every line of this corpus is seen many times.",
    ];

    private readonly TempDirectory _folder = new();
    private readonly string? _previousStore = Environment.GetEnvironmentVariable(TinyGptModelStore.EnvironmentVariable);

    public TinyGptEstimatorTests() => Environment.SetEnvironmentVariable(TinyGptModelStore.EnvironmentVariable, _folder.File("store"));

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(TinyGptModelStore.EnvironmentVariable, _previousStore);
        TinyGptModelStore.ForgetLoaded();
        _folder.Dispose();
    }

    private TinyGptEstimatorOptions Options() => new()
    {
        RunDirectory = _folder.File("run"),
        VocabSize = 300,
        ContextLength = 32,
        MaxSteps = 60,
        BatchSize = 8,
        LearningRate = 3e-3,
        Seed = 4,
        MaxNewTokens = 12,
    };

    private static IDataView Corpus(MLContext ml) =>
        ml.Data.LoadFromEnumerable(Enumerable.Repeat(Sentences, 40).SelectMany(s => s).Select(s => new TextRow { Text = s }));

    private static IDataView Prompts(MLContext ml) =>
        ml.Data.LoadFromEnumerable(new[] { new PromptRow { Prompt = "the quick brown" }, new PromptRow { Prompt = "every line" } });

    [Fact]
    public async Task A_fitted_pipeline_saves_to_a_zip_that_loads_in_a_fresh_context_and_another_process_with_the_same_greedy_output()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Transforms.Text.TrainTinyGpt(Options()).Fit(Corpus(ml));

        var before = ml.Data.CreateEnumerable<GeneratedRow>(model.Transform(Prompts(ml)), reuseRowObject: false).ToList();
        before.Should().HaveCount(2);
        before.Should().OnlyContain(r => r.Generated.Length > 0);
        before[0].Prompt.Should().Be("the quick brown", "the prompt column is kept");

        var zip = _folder.File("pipeline.zip");
        ml.Model.Save(model, Prompts(ml).Schema, zip);
        TinyGptModelStore.ForgetLoaded();

        var fresh = new MLContext(seed: 2).RegisterTinyGpt();
        var loaded = fresh.Model.Load(zip, out var schema);
        schema.GetColumnOrNull("Prompt").Should().NotBeNull();
        var after = fresh.Data.CreateEnumerable<GeneratedRow>(loaded.Transform(Prompts(fresh)), reuseRowObject: false).ToList();
        after.Select(r => r.Generated).Should().Equal(before.Select(r => r.Generated));

        using var engine = fresh.Model.CreatePredictionEngine<PromptRow, GeneratedRow>(loaded);
        engine.Predict(new PromptRow { Prompt = "every line" }).Generated.Should().Be(before[1].Generated);

        // And in another process: the MLNet sample's --load mode.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { MLNetSamplePath, "--load", zip, "every line" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment[TinyGptModelStore.EnvironmentVariable] = _folder.File("store");
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.Should().Be(0, await errors);
        output.ReplaceLineEndings("\n").Should().Be($"every line -> {before[1].Generated}\n".ReplaceLineEndings("\n"));
    }

    private static string MLNetSamplePath => typeof(TinyGptEstimatorTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "MLNetSamplePath").Value!;

    [Fact]
    public void Loading_without_the_store_says_where_the_model_should_be()
    {
        var ml = new MLContext(seed: 1);
        var options = Options();
        options.MaxSteps = 2;
        var model = ml.Transforms.Text.TrainTinyGpt(options).Fit(Corpus(ml));
        var zip = _folder.File("pipeline.zip");
        ml.Model.Save(model, Prompts(ml).Schema, zip);
        Directory.Delete(TinyGptModelStore.PathOf(model.ModelId), recursive: true);
        TinyGptModelStore.ForgetLoaded();

        var fresh = new MLContext().RegisterTinyGpt();
        var loaded = fresh.Model.Load(zip, out _);
        using var engine = fresh.Model.CreatePredictionEngine<PromptRow, GeneratedRow>(loaded);
        FluentActions.Invoking(() => engine.Predict(new PromptRow { Prompt = "a" })).Should().Throw<FileNotFoundException>().WithMessage($"*{model.ModelId}*not in the model store*");
    }

    [Fact]
    public void The_callers_context_gives_the_seed_and_hears_the_training_log()
    {
        var options = Options();
        options.Seed = null;
        options.MaxSteps = 3;
        long SeedOf(int contextSeed) => new MLContext(seed: contextSeed).Transforms.Text.TrainTinyGpt(new MLContext(seed: contextSeed), options).Seed;

        SeedOf(5).Should().Be(SeedOf(5), "the same context seed gives the same training seed");
        SeedOf(6).Should().NotBe(SeedOf(5));
        options.Seed = 4;
        SeedOf(5).Should().Be(4, "an explicit seed wins");

        options.Seed = null;
        var ml = new MLContext(seed: 5);
        var messages = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Source == "TinyGpt")
            {
                lock (messages)
                {
                    messages.Add(e.Message);
                }
            }
        };
        var estimator = ml.Transforms.Text.TrainTinyGpt(ml, options);
        var model = estimator.Fit(Corpus(ml));

        estimator.Seed.Should().Be(SeedOf(5));
        messages.Should().Contain(m => m.Contains("step 3/3", StringComparison.Ordinal), "training progress goes to MLContext.Log");
        ml.Data.CreateEnumerable<GeneratedRow>(model.Transform(Prompts(ml)), reuseRowObject: false).Should().HaveCount(2);
    }

    [Fact]
    public void A_reloaded_pipeline_generates_on_the_chosen_device()
    {
        var ml = new MLContext(seed: 1);
        var options = Options();
        options.MaxSteps = 2;
        var model = ml.Transforms.Text.TrainTinyGpt(ml, options).Fit(Corpus(ml));
        var zip = _folder.File("pipeline.zip");
        ml.Model.Save(model, Prompts(ml).Schema, zip);
        TinyGptModelStore.ForgetLoaded();
        try
        {
            var onCuda = new MLContext().RegisterTinyGpt(device: "cuda");
            TinyGptModelStore.Device.Should().Be("cuda");
            using var cudaEngine = onCuda.Model.CreatePredictionEngine<PromptRow, GeneratedRow>(onCuda.Model.Load(zip, out _));
            if (!TorchSharp.torch.cuda.is_available())
            {
                // This machine has no CUDA: the device is really asked for, and refused with the way out.
                FluentActions.Invoking(() => cudaEngine.Predict(new PromptRow { Prompt = "a" })).Should().Throw<Exception>().WithMessage("*CUDA*");
            }

            var onCpu = new MLContext().RegisterTinyGpt(device: "cpu");
            using var cpuEngine = onCpu.Model.CreatePredictionEngine<PromptRow, GeneratedRow>(onCpu.Model.Load(zip, out _));
            cpuEngine.Predict(new PromptRow { Prompt = "every line" }).Generated.Should().Be(
                ml.Data.CreateEnumerable<GeneratedRow>(model.Transform(Prompts(ml)), reuseRowObject: false).Last().Generated);
            FluentActions.Invoking(() => TinyGptModelStore.Device = " ").Should().Throw<ArgumentException>();
        }
        finally
        {
            TinyGptModelStore.Device = "cpu";
        }
    }

    [Fact]
    public void Invalid_options_and_missing_columns_are_reported()
    {
        var ml = new MLContext();
        var options = Options();
        options.RunDirectory = null;
        options.MaxNewTokens = 0;
        options.Preset = (GptPreset)42;
        FluentActions.Invoking(() => ml.Transforms.Text.TrainTinyGpt(options)).Should().Throw<ArgumentException>().WithMessage("*RunDirectory*Preset*42*MaxNewTokens*");

        var estimator = ml.Transforms.Text.TrainTinyGpt(OptionsWithText("Body"));
        FluentActions.Invoking(() => estimator.Fit(Corpus(ml))).Should().Throw<ArgumentException>().WithMessage("*no 'Body' column*");
    }

    private TinyGptEstimatorOptions OptionsWithText(string column)
    {
        var options = Options();
        options.TextColumnName = column;
        return options;
    }

    public sealed class TextRow
    {
        public string Text { get; set; } = string.Empty;
    }

    public sealed class PromptRow
    {
        public string Prompt { get; set; } = string.Empty;
    }

    public sealed class GeneratedRow
    {
        public string Prompt { get; set; } = string.Empty;

        public string Generated { get; set; } = string.Empty;
    }
}
