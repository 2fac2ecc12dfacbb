using System.Text.Json;
using TinyGpt.Tests.Data;

namespace TinyGpt.Cli.Tests;

public sealed class CliEndToEndTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private readonly string _run = Path.Combine(Path.GetTempPath(), "tinygpt-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_run))
        {
            Directory.Delete(_run, recursive: true);
        }
    }

    [Fact]
    public void Prepare_train_resume_eval_and_generate_on_local_wikitext_all_succeed()
    {
        var data = WikiText2Folder.Locate();
        Expect(CliRunner.Run(Timeout, "prepare", "--run", _run, "--data-dir", data, "--train-split", "valid", "--eval-split", "test", "--vocab-size", "2000"));
        File.Exists(Path.Combine(_run, "tokenizer", "vocab.json")).Should().BeTrue();
        File.Exists(Path.Combine(_run, "tokenizer", "merges.txt")).Should().BeTrue();

        var train = new[] { "train", "--run", _run, "--preset", "tiny", "--context", "64", "--batch-size", "8", "--eval-interval", "10", "--log-interval", "5", "--threads", "2" };
        Expect(CliRunner.Run(Timeout, [.. train, "--max-steps", "10"]));
        Expect(CliRunner.Run(Timeout, [.. train, "--max-steps", "20", "--resume"]));
        foreach (var file in new[] { "config.json", "metrics.jsonl", "model.safetensors", "loss.png", "checkpoints/latest" })
        {
            File.Exists(Path.Combine(_run, file)).Should().BeTrue(file);
        }

        // The chart covers the whole run (both sessions): the train curve and the validation points.
        var chart = PngPixels.Read(Path.Combine(_run, "loss.png"));
        (chart.Width, chart.Height).Should().Be((900, 500));
        chart.Count((0x1f, 0x77, 0xb4)).Should().BeGreaterThan(200, "the train curve is drawn in blue");
        chart.Count((0xff, 0x7f, 0x0e)).Should().BeGreaterThan(50, "the validation points are drawn in orange");
        chart.CountText(fromY: 0, toY: 32).Should().BeGreaterThan(100, "the title is drawn, with the CLI's own font when the machine has none");
        Directory.GetFiles(_run, "*.tmp").Should().BeEmpty();
        Directory.GetFiles(Path.Combine(_run, "tensorboard"), "events.out.tfevents.*").Should().HaveCount(2, "each training session writes its own event file");

        var (_, json, _) = Expect(CliRunner.Run(Timeout, "eval", "--run", _run, "--split", "test", "--json"));
        using var result = JsonDocument.Parse(json);
        result.RootElement.GetProperty("split").GetString().Should().Be("test");
        result.RootElement.GetProperty("word_perplexity").GetDouble().Should().BeGreaterThan(1);
        result.RootElement.GetProperty("bits_per_byte").GetDouble().Should().BeGreaterThan(0);

        var exported = Path.Combine(_run, "gpt2");
        Expect(CliRunner.Run(Timeout, "export", "--run", _run, "--output", exported));
        foreach (var file in new[] { "model.safetensors", "config.json", "vocab.json", "merges.txt" })
        {
            File.Exists(Path.Combine(exported, file)).Should().BeTrue(file);
        }

        var (_, text, _) = Expect(CliRunner.Run(Timeout, "generate", "--run", _run, "--prompt", "The", "--max-new-tokens", "12", "--seed", "3"));
        text.Should().StartWith("The");
        text.Trim().Length.Should().BeGreaterThan(3);
    }

    [Fact]
    public void Failures_exit_non_zero_with_a_message_on_stderr()
    {
        var (code, _, error) = CliRunner.Run(Timeout, "eval", "--run", _run);
        code.Should().NotBe(0);
        error.Should().Contain("tinygpt prepare");

        var (badSplit, _, splitError) = CliRunner.Run(Timeout, "prepare", "--run", _run, "--data-dir", WikiText2Folder.Locate());
        badSplit.Should().NotBe(0, "the local folder has no train split");
        splitError.Should().Contain("--train-split");
    }

    private static (int, string, string) Expect((int ExitCode, string Output, string Error) result)
    {
        result.ExitCode.Should().Be(0, $"the command should succeed; stderr:\n{result.Error}\nstdout:\n{result.Output}");
        return result;
    }
}
