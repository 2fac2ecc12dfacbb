namespace TinyGpt.Cli.Tests;

/// <summary>
/// The fine-tuning path as a user types it: export a trained run as a Hugging Face folder, prepare a
/// new run with that folder's tokenizer, train from its weights; and the refusals, which change no file.
/// </summary>
public sealed class FineTuneCommandTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly SmallRun _run = new();

    public void Dispose() => _run.Dispose();

    [Fact]
    public void Prepare_with_the_folder_s_tokenizer_then_train_from_its_weights()
    {
        SmallRun.Expect(CliRunner.Run(Timeout, _run.Train("--max-steps", "4")));
        var pretrained = Path.Combine(_run.Folder, "hf");
        SmallRun.Expect(CliRunner.Run(Timeout, "export", "--run", _run.Run, "--output", pretrained));
        File.Exists(Path.Combine(pretrained, "generation_config.json")).Should().BeTrue();

        var fineTuned = Path.Combine(_run.Folder, "fine-tuned");
        SmallRun.Expect(CliRunner.Run(Timeout, "prepare", "--run", fineTuned, "--text", _run.TextFile, "--tokenizer-from", pretrained));
        var (_, output, _) = SmallRun.Expect(CliRunner.Run(Timeout, "train", "--run", fineTuned, "--init-from", pretrained, "--max-steps", "3", "--batch-size", "4", "--eval-interval", "0", "--log-interval", "1", "--context", "16"));
        output.Should().Contain($"Starting from the weights of {pretrained}");
        output.Should().Contain("sequences of 16 tokens", "--context shortens the training windows of the pretrained model");

        // A run whose tokenizer is not the weights' is refused, and nothing in it changes.
        var other = Path.Combine(_run.Folder, "other");
        SmallRun.Expect(CliRunner.Run(Timeout, "prepare", "--run", other, "--text", _run.TextFile, "--vocab-size", "280"));
        string[][] rejected =
        [
            ["train", "--run", other, "--init-from", pretrained, "--max-steps", "2"],
            ["train", "--run", other, "--init-from", Path.Combine(_run.Folder, "missing"), "--max-steps", "2"],
            ["train", "--run", other, "--init-from", pretrained, "--width", "64", "--max-steps", "2"],
            ["prepare", "--run", other, "--text", _run.TextFile, "--tokenizer", "gpt2", "--tokenizer-from", pretrained],
            ["prepare", "--run", other, "--text", _run.TextFile, "--tokenizer-from", _run.Folder],
        ];
        var before = Snapshot(other);
        foreach (var args in rejected)
        {
            var (code, stdout, error) = CliRunner.Run(Timeout, args);
            var command = string.Join(' ', args);
            code.Should().NotBe(0, $"'{command}' must be refused; stdout:\n{stdout}");
            error.Should().StartWith("tinygpt: ", command);
            error.Should().NotContain("   at ", command);
            Snapshot(other).Should().Equal(before, $"'{command}' was refused, so it must change no file");
        }
    }

    private static Dictionary<string, long> Snapshot(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(p => p, p => new FileInfo(p).Length);
}
