#region docs/mlnet.md#pipeline
using Microsoft.ML;
using TinyGpt.MachineLearning;
using TinyGpt.Modeling;
#endregion

namespace TinyGpt.Docs.Tests.Snippets;

/// <summary>docs/mlnet.md: fit, transform, save, and load in a fresh MLContext, run as written (a tiny model, 60 steps).</summary>
public sealed class MlNetSnippetTests : IDisposable
{
    private readonly DocsWorkspace _workspace = new();
    private readonly string? _previousStore = Environment.GetEnvironmentVariable(TinyGptModelStore.EnvironmentVariable);

    // The model store would otherwise be the user's cache folder.
    public MlNetSnippetTests() => Environment.SetEnvironmentVariable(TinyGptModelStore.EnvironmentVariable, _workspace.File("store"));

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(TinyGptModelStore.EnvironmentVariable, _previousStore);
        _workspace.Dispose();
    }

    [Fact]
    public void A_fitted_pipeline_completes_prompts_the_same_before_and_after_saving()
    {
        using var scope = _workspace.Enter();
        var lines = DemoRunFixture.Corpus.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        IDataView prompts = new MLContext().Data.LoadFromEnumerable(new[] { new PromptRow { Prompt = "the quick brown" } });

        #region docs/mlnet.md#pipeline
        var ml = new MLContext(seed: 1);
        IDataView corpus = ml.Data.LoadFromEnumerable(lines.Select(l => new TextRow { Text = l }));

        var model = ml.Transforms.Text.TrainTinyGpt(ml, new TinyGptEstimatorOptions   // ml: its seed and log are used
        {
            RunDirectory = "runs/mlnet",   // required: tokenizer, token files, metrics, model.safetensors
            TextColumnName = "Text",       // one row = one line of the corpus
            PromptColumnName = "Prompt",
            OutputColumnName = "Generated",
            Preset = GptPreset.Tiny,
            ContextLength = 32,
            VocabSize = 300,
            MaxSteps = 60,
            BatchSize = 8,
            LearningRate = 3e-3,
            MaxNewTokens = 12,             // Sampling = SamplingOptions.Greedy by default
        }).Fit(corpus);

        IDataView completed = model.Transform(prompts);            // adds the "Generated" column
        ml.Model.Save(model, prompts.Schema, "pipeline.zip");

        // Anywhere else (another process, same machine or a machine with the model store):
        var other = new MLContext().RegisterTinyGpt(device: "cpu"); // before Load; or "cuda"
        ITransformer loaded = other.Model.Load("pipeline.zip", out var schema);
        using var engine = other.Model.CreatePredictionEngine<PromptRow, CompletionRow>(loaded);
        string text = engine.Predict(new PromptRow { Prompt = "the quick brown" }).Generated;
        #endregion

        var before = ml.Data.CreateEnumerable<CompletionRow>(completed, reuseRowObject: false).Single();
        before.Prompt.Should().Be("the quick brown");
        before.Generated.Should().NotBeEmpty();
        text.Should().Be(before.Generated, "greedy generation gives the same text after saving and loading");
        schema.GetColumnOrNull("Prompt").Should().NotBeNull();
        File.Exists(_workspace.File("runs/mlnet/model.safetensors")).Should().BeTrue();
        Directory.EnumerateDirectories(_workspace.File("store")).Should().ContainSingle("Fit copied the model into the store");
    }
}
