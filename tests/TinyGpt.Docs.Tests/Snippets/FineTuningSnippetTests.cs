using TinyGpt.Generation;
using TinyGpt.Hosting;
using TinyGpt.Interchange;
using TinyGpt.Runs;

namespace TinyGpt.Docs.Tests.Snippets;

/// <summary>docs/fine-tuning.md: continuing from a Hugging Face GPT-2 folder with the builder.</summary>
[Collection(DemoRunCollection.Name)]
public sealed class FineTuningSnippetTests(DemoRunFixture demo)
{
    [Fact]
    public async Task The_builder_fine_tunes_a_hugging_face_folder_on_your_text()
    {
        using var scope = demo.Workspace.Enter();
        // The demo run exported as a Hugging Face folder stands in for a GPT-2 download.
        using (var run = RunFolder.Open("runs/demo"))
        {
            using var loaded = run.LoadModel().Model;
            HuggingFaceGpt2.Export(loaded, "models/gpt2", run.Tokenizer);
        }

        demo.Workspace.Write("my-notes.txt", string.Concat(Enumerable.Repeat("a small model learns to repeat what it reads.\n", 50)));

        #region docs/fine-tuning.md#builder
        using var pipeline = new GptBuilder()
            .WithCorpus(CorpusSource.TextFiles(["my-notes.txt"]))
            .InitFrom("models/gpt2")     // config.json, model.safetensors, vocab.json + merges.txt
            .WithTraining(t => { t.MaxSteps = 30; t.LearningRate = 3e-4; t.BatchSize = 8; t.ContextLength = 32; t.EvalInterval = 0; })
            .WithRunDirectory("runs/my-gpt2")
            .Build();
        var result = await pipeline.TrainAsync();
        var text = await pipeline.GenerateAsync("a small model", new GenerationOptions { MaxNewTokens = 12 });
        #endregion

        result.Steps.Should().Be(30);
        text.Should().NotBeEmpty();
        File.Exists("runs/my-gpt2/model.safetensors").Should().BeTrue();
    }
}
