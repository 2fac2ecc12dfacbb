namespace TinyGpt.Cli.Tests;

/// <summary>
/// A command that is refused changes no file: everything (options, data, configuration, resume
/// compatibility) is checked before the run folder is written to. Each refusal also says what was
/// wrong in one message, without a stack trace.
/// </summary>
public sealed class RejectedCommandTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly SmallRun _run = new();

    public void Dispose() => _run.Dispose();

    [Fact]
    public void Every_rejected_train_prepare_and_export_leaves_every_file_byte_identical()
    {
        // A trained run: checkpoints, metrics, config.json, the model and its loss curve.
        SmallRun.Expect(CliRunner.Run(Timeout, _run.Train("--max-steps", "4")));
        var before = _run.Snapshot();
        before.Keys.Should().Contain(["config.json", "model.safetensors", "metrics.jsonl", Path.Combine("checkpoints", "latest")]);
        var aFile = Path.Combine(_run.Folder, "not-a-folder");
        File.WriteAllText(aFile, "x");

        string[][] rejected =
        [
            _run.Train("--max-steps", "6", "--lr", "NaN"),
            _run.Train("--max-steps", "6", "--resume", "--lr", "-1"),
            _run.Train("--max-steps", "6", "--resume", "--context", "100000"),
            _run.Train("--max-steps", "6", "--restart", "--context", "100000"),
            _run.Train("--max-steps", "6", "--restart", "--device", "cuda"),
            _run.Train("--max-steps", "6", "--restart", "--heads", "7"),
            _run.Train("--max-steps", "6", "--restart", "--batch-size", "0"),
            _run.Train("--max-steps", "6", "--restart", "--dropout", "1.5"),
            _run.Train("--max-steps", "6", "--restart", "--eval-stride", "0"),
            _run.Train("--max-steps", "6", "--resume", "--width", "64"),
            _run.Train("--max-steps", "6", "--resume", "--restart"),
            _run.Train("--max-steps", "6"),
            _run.Train("--max-steps", "abc"),
            _run.Train("--resume", "--time-budget", "20x"),
            _run.Train("--resume", "--time-budget", "1m", "--max-steps", "6"),
            _run.Train("--preset", "huge"),
            _run.Train("--restart", "--preset", "auto", "--max-steps", "6"),
            _run.Train("--restart", "--preset", "auto", "--time-budget", "1m", "--width", "64"),
            ["prepare", "--run", _run.Run, "--text", _run.TextFile, "--vocab-size", "10"],
            ["prepare", "--run", _run.Run, "--text", _run.TextFile, "--train-split", "test"],
            ["prepare", "--run", _run.Run, "--text", Path.Combine(_run.Folder, "missing.txt")],
            ["prepare", "--run", _run.Run, "--text", _run.TextFile, "--tokenizer", "gpt2"],
            ["prepare", "--run", _run.Run, "--text", _run.TextFile, "--vocab-size", "280"],
            ["prepare", "--run", _run.Run, "--tokenizer", "nope"],
            ["export", "--run", _run.Run, "--output", aFile],
            ["export", "--run", _run.Run, "--output", Path.Combine(_run.Folder, "gpt2"), "--checkpoint", Path.Combine(_run.Folder, "missing.safetensors")],
        ];

        foreach (var args in rejected)
        {
            var (code, output, error) = CliRunner.Run(Timeout, args);
            var command = string.Join(' ', args);
            code.Should().NotBe(0, $"'{command}' must be refused; stdout:\n{output}");
            error.Should().StartWith("tinygpt: ", $"'{command}' says what was wrong on stderr");
            error.Should().NotContain("   at ", $"'{command}' shows no stack trace");
            error.Should().NotContain("System.", $"'{command}' names no .NET type");
            _run.Snapshot().Should().Equal(before, $"'{command}' was refused, so it must change no file of the run folder");
        }

        // And the run still resumes: no refusal left advice that cannot help.
        SmallRun.Expect(CliRunner.Run(Timeout, _run.Train("--max-steps", "6", "--resume")));
    }
}
