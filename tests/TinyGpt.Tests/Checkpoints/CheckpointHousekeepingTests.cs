using TinyGpt.Checkpoints;
using TinyGpt.Modeling;
using TinyGpt.Tests.Data;
using TinyGpt.Tests.Training;
using TinyGpt.Tokens;
using TinyGpt.Training;

namespace TinyGpt.Tests.Checkpoints;

/// <summary>
/// What a kill leaves behind is cleaned up and never strands a run: temporary files of writers that
/// died are removed, and a <c>latest</c> pointer naming a missing or damaged file falls back to the
/// newest checkpoint that reads back whole, saying so.
/// </summary>
[Collection(TrainingCollection.Name)]
public sealed class CheckpointHousekeepingTests
{
    private static readonly GptConfig Config = GptConfig.Tiny with { VocabSize = 256, ContextLength = 32, EmbeddingSize = 48, LayerCount = 2, HeadCount = 2 };

    private static TrainingData Data()
    {
        var tokenizer = new ByteTokenizer();
        return new TrainingData(new TokenArray(tokenizer.Encode(string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 40)))), tokenizer);
    }

    private static TrainingOptions Options(int steps) => new()
    {
        BatchSize = 4,
        MaxSteps = steps,
        WarmupSteps = 1,
        EvalInterval = 0,
        CheckpointInterval = 2,
        KeepCheckpoints = 5,
        LogInterval = 1,
        Seed = 9,
    };

    [Fact]
    public void Temporary_files_of_dead_writers_are_removed_and_those_of_live_ones_kept()
    {
        using var folder = new TempDirectory();
        var store = new CheckpointStore(folder.Path);
        Directory.CreateDirectory(folder.Path);
        var dead = Path.Combine(folder.Path, $".step-00000004.safetensors.{DeadProcessId()}.{Guid.NewGuid():N}.tmp");
        var own = Path.Combine(folder.Path, $".latest.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        var live = Path.Combine(folder.Path, $".best.1.{Guid.NewGuid():N}.tmp"); // pid 1 is always running
        var unrelated = Path.Combine(folder.Path, ".notes.tmp");
        foreach (var file in new[] { dead, own, live, unrelated })
        {
            File.WriteAllText(file, "partial");
        }

        store.RemoveAbandonedTemporaryFiles().Should().BeEquivalentTo([dead, own]);

        File.Exists(live).Should().BeTrue("another process may still be writing it");
        File.Exists(unrelated).Should().BeTrue("it is not one of TinyGpt's temporary files");
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("damaged")]
    public void A_latest_pointer_to_a_missing_or_damaged_file_resumes_from_the_newest_complete_checkpoint(string what)
    {
        using var folder = new TempDirectory();
        using (var model = new GptModel(Config, seed: 1))
        {
            FolderTraining.Create(model, Data(), Options(6), folder.Path).Train();
        }

        var store = new CheckpointStore(FolderTraining.CheckpointsOf(folder.Path));
        var newest = store.LatestPath!;
        Path.GetFileName(newest).Should().Be("step-00000006.safetensors");
        if (what == "missing")
        {
            File.Delete(newest);
        }
        else
        {
            var bytes = File.ReadAllBytes(newest);
            bytes[bytes.Length / 2] ^= 0xFF;
            File.WriteAllBytes(newest, bytes);
        }

        using var resumed = new GptModel(Config, seed: 2);
        var options = Options(8);
        using var optimizerLike = new TinyGpt.Training.AdamW(resumed.NamedParameters().Select(p => (p.Name, (TorchSharp.torch.Tensor)p.Parameter)), 0.1);
        var restored = store.RestoreLatest(resumed, optimizerLike.State(), Data().Tokenizer.Fingerprint)!;

        restored.Path.Should().EndWith("step-00000004.safetensors");
        restored.State.Step.Should().Be(4);
        restored.Note.Should().Contain("step-00000004.safetensors").And.Contain(what == "missing" ? "does not exist" : "cannot be read");

        // And a whole resumed run gets there too, saying so in its log.
        var log = new ListLogger();
        using var again = new GptModel(Config, seed: 3);
        var trainer = new Trainer(again, Data(), options, log) { Checkpoints = store }.ResumeFromLatest();
        trainer.Train().Steps.Should().Be(8);
        log.Messages.Should().Contain(m => m.Contains("newest complete checkpoint", StringComparison.Ordinal));
    }

    private static int DeadProcessId()
    {
        using var process = System.Diagnostics.Process.Start("true")!;
        process.WaitForExit();
        return process.Id;
    }
}
