using TinyGpt.Hosting;
using TinyGpt.Interchange;
using TinyGpt.Modeling;
using TinyGpt.Runs;
using TinyGpt.Tests.Data;
using TinyGpt.Tests.Hosting;
using TinyGpt.Tokenization;
using TinyGpt.Training;
using static TorchSharp.torch;

namespace TinyGpt.Tests.Interchange;

/// <summary>Fine-tuning: training that starts from a Hugging Face folder TinyGpt did not write.</summary>
[Collection(TrainingCollection.Name)]
public sealed class FineTuneTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Training_starts_from_the_imported_weights_lowers_the_loss_and_exports_what_it_trained()
    {
        var pretrained = WritePretrainedFolder();
        using var run = await PrepareAsync(TokenizerKind.Folder, pretrained);
        run.Manifest.Tokenizer.Should().Be(TokenizerKind.Folder);

        // One step at a negligible learning rate: the trained weights are the imported ones.
        using (var probe = new GptModel(ModelLoader.ReadConfig(pretrained) with { Dropout = 0 }, seed: 99))
        {
            run.CreateTrainer(probe, Options(pretrained, steps: 1, lr: 1e-12)).Train();
            using var imported = HuggingFaceGpt2.Import(pretrained);
            using var scope = NewDisposeScope();
            var importedWeights = imported.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
            foreach (var (name, parameter) in probe.NamedParameters())
            {
                parameter.sub(importedWeights[name]).abs().max().item<float>().Should().BeLessThan(1e-6f, name);
            }
        }

        using var model = new GptModel(ModelLoader.ReadConfig(pretrained) with { Dropout = 0 }, seed: 99);
        var losses = new List<double>();
        var result = run.CreateTrainer(model, Options(pretrained, steps: 40, lr: 3e-3), TrainingStart.Restart).Train(new SynchronousProgress(p => losses.Add(p.Loss)));
        result.FinalLoss.Should().BeLessThan(losses[0] * 0.8, "fine-tuning on the corpus lowers the loss of the imported model");

        var exported = Path.Combine(_folder.Path, "exported");
        HuggingFaceGpt2.Export(model, exported, run.Tokenizer);
        using var reloaded = HuggingFaceGpt2.Import(exported);
        using var noGrad = no_grad();
        using var tokens = tensor(run.Tokenizer.Encode("the cat sat on the mat").Select(t => (long)t).ToArray()).unsqueeze(0);
        model.eval();
        using var expected = model.forward(tokens);
        using var actual = reloaded.forward(tokens);
        actual.eq(expected).all().item<bool>().Should().BeTrue("export after fine-tuning, then import, gives identical logits");
        HuggingFaceGpt2.LoadTokenizer(exported)!.Fingerprint.Should().Be(run.Tokenizer.Fingerprint);
    }

    [Fact]
    public async Task Weights_with_another_tokenizer_are_refused_before_the_run_folder_is_written()
    {
        var pretrained = WritePretrainedFolder();
        using var run = await PrepareAsync(TokenizerKind.Bpe, null);
        using var model = new GptModel(ModelLoader.ReadConfig(pretrained));
        FluentActions.Invoking(() => run.CreateTrainer(model, Options(pretrained, steps: 1, lr: 1e-3)))
            .Should().Throw<InvalidDataException>().WithMessage("*come with its own tokenizer*--tokenizer-from*");
        File.Exists(run.ConfigPath).Should().BeFalse("a refused trainer writes nothing");
    }

    [Fact]
    public async Task The_builder_fine_tunes_with_the_folder_s_own_tokenizer()
    {
        var pretrained = WritePretrainedFolder();
        using var pipeline = new GptBuilder()
            .WithCorpus(CorpusSource.Text(TrainedRunFixture.Corpus))
            .InitFrom(pretrained)
            .WithTraining(o =>
            {
                o.MaxSteps = 3;
                o.BatchSize = 4;
                o.ContextLength = 16;
                o.EvalInterval = 0;
            })
            .WithRunDirectory(Path.Combine(_folder.Path, "builder-run"))
            .Build();
        pipeline.ModelConfig.Should().Be(ModelLoader.ReadConfig(pretrained));
        var result = await pipeline.TrainAsync();
        result.Steps.Should().Be(3);
        new GptBuilder().WithCorpus(CorpusSource.Text("x")).WithRunDirectory(_folder.Path).InitFrom(pretrained).WithModel(GptPreset.Tiny)
            .Invoking(b => b.Build()).Should().Throw<GptBuilderValidationException>().WithMessage("*leave out WithModel*");
    }

    private static TrainingOptions Options(string initFrom, int steps, double lr) => new()
    {
        InitFrom = initFrom,
        MaxSteps = steps,
        LearningRate = lr,
        WarmupSteps = 0,
        BatchSize = 4,
        ContextLength = 16,
        EvalInterval = 0,
        Seed = 3,
    };

    // A Hugging Face folder: random GPT-2 weights from the independent writer, with a BPE tokenizer of its own.
    private string WritePretrainedFolder()
    {
        var folder = Path.Combine(_folder.Path, "pretrained");
        var corpus = _folder.File("tokenizer-corpus.txt");
        File.WriteAllText(corpus, TrainedRunFixture.Corpus);
        var tokenizer = TextTokenizers.TrainAndSave([corpus], folder, new BpeTrainerOptions { VocabSize = 300 });
        new HuggingFaceCheckpointWriter { Vocab = tokenizer.VocabSize, Positions = 32, Width = 16, Layers = 2, Heads = 2 }.Write(folder);
        return folder;
    }

    private Task<RunFolder> PrepareAsync(TokenizerKind tokenizer, string? tokenizerFolder)
    {
        var corpus = _folder.File("corpus.txt");
        File.WriteAllText(corpus, TrainedRunFixture.Corpus);
        return RunPreparer.PrepareAsync(new RunPreparationOptions
        {
            RunDirectory = Path.Combine(_folder.Path, "run-" + tokenizer),
            TextFiles = [corpus],
            Tokenizer = tokenizer,
            TokenizerDirectory = tokenizerFolder,
            VocabSize = 280,
        });
    }

    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
