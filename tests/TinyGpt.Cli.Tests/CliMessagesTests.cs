using System.Text.Json;
using TinyGpt.Modeling;
namespace TinyGpt.Cli.Tests;

/// <summary>
/// What the CLI says when something is wrong or not what was asked: one plain message with the
/// way out, in the CLI's own terms, never a stack trace or a .NET type name, and nothing silent.
/// </summary>
public sealed class CliMessagesTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly SmallRun _run = new();

    public void Dispose() => _run.Dispose();

    [Fact]
    public void Parse_errors_say_what_kind_of_value_was_expected_and_usage_says_tinygpt()
    {
        var (code, output, error) = CliRunner.Run(Timeout, "train", "--run", _run.Run, "--max-steps", "abc");
        code.Should().Be(2);
        error.Should().Contain("'abc'").And.Contain("--max-steps").And.Contain("whole number").And.NotContain("System.").And.NotContain("Nullable");
        output.Trim().Should().BeEmpty("a parse error prints the error and a pointer to --help, not the whole help");
        error.Should().Contain("tinygpt train --help");

        var (presetCode, _, presetError) = CliRunner.Run(Timeout, "train", "--run", _run.Run, "--preset", "huge");
        presetCode.Should().Be(2);
        presetError.Should().Contain("huge").And.Contain("tiny").And.Contain("small").And.Contain("seed");

        var (_, help, _) = CliRunner.Run(Timeout, "train", "--help");
        help.Should().Contain("tinygpt train [options]").And.NotContain("TinyGpt.Cli");
    }

    [Fact]
    public void Preset_auto_times_the_larger_presets_logs_its_choice_and_keeps_it_on_resume()
    {
        var (code, _, error) = CliRunner.Run(Timeout, _run.Train("--preset", "auto", "--max-steps", "4"));
        code.Should().Be(2);
        error.Should().Contain("--preset auto chooses the model for a time budget").And.Contain("--time-budget");

        var (_, log, _) = SmallRun.Expect(CliRunner.Run(Timeout, _run.Train("--preset", "auto", "--time-budget", "15s", "--batch-size", "2")));
        log.Should().Contain("--preset auto chose").And.Contain("small").And.Contain("s per step").And.Contain("passes").And.Contain("Time budget");
        var chosen = JsonDocument.Parse(File.ReadAllText(Path.Combine(_run.Run, "config.json"))).RootElement.GetProperty("EmbeddingSize").GetInt32();
        // Tiny, small or seed, whichever this machine's speed allows; the widths come from the presets so
        // that a new preset shape cannot make the test depend on the machine's speed.
        chosen.Should().BeOneOf(new[] { GptPreset.Tiny, GptPreset.Small, GptPreset.Seed }.Select(p => GptConfig.FromPreset(p).EmbeddingSize));

        var (_, resumed, _) = SmallRun.Expect(CliRunner.Run(Timeout, _run.Train("--preset", "auto", "--time-budget", "15s", "--batch-size", "2", "--resume")));
        resumed.Should().NotContain("--preset auto chose", "a resumed run keeps the model it started with");
        JsonDocument.Parse(File.ReadAllText(Path.Combine(_run.Run, "config.json"))).RootElement.GetProperty("EmbeddingSize").GetInt32().Should().Be(chosen);
    }

    [Fact]
    public void Library_settings_are_named_by_their_flags()
    {
        var (code, _, error) = CliRunner.Run(Timeout, _run.Train("--lr", "NaN"));
        code.Should().Be(2);
        error.Should().Contain("--lr must be a positive number").And.NotContain("LearningRate").And.NotContain("TrainingOptions");

        var (emaCode, _, emaError) = CliRunner.Run(Timeout, _run.Train("--ema", "1.5"));
        emaCode.Should().Be(2);
        emaError.Should().Contain("--ema must be in (0, 1)").And.NotContain("WeightAverageDecay");

        var (smoothingCode, _, smoothingError) = CliRunner.Run(Timeout, _run.Train("--label-smoothing", "1"));
        smoothingCode.Should().Be(2);
        smoothingError.Should().Contain("--label-smoothing must be in [0, 1)").And.NotContain("LabelSmoothing");

        var (dropoutCode, _, dropoutError) = CliRunner.Run(Timeout, _run.Train("--attention-dropout", "1.5"));
        dropoutCode.Should().Be(2);
        dropoutError.Should().Contain("--attention-dropout must be in [0, 1)").And.NotContain("AttentionDropout");
        File.Exists(Path.Combine(_run.Run, "config.json")).Should().BeFalse("a refused command writes nothing");
    }

    [Fact]
    public void Attention_and_embedding_dropout_are_kept_apart_in_the_run_config()
    {
        var (_, log, _) = SmallRun.Expect(CliRunner.Run(Timeout, _run.Train("--max-steps", "2", "--dropout", "0.1", "--attention-dropout", "0", "--embedding-dropout", "0.2", "--label-smoothing", "0.1")));
        log.Should().Contain("dropout 0.1 residual, 0 attention, 0.2 embedding").And.Contain("label smoothing 0.1");
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(_run.Run, "config.json"))).RootElement;
        (config.GetProperty("Dropout").GetDouble(), config.GetProperty("AttentionDropout").GetDouble(), config.GetProperty("EmbeddingDropout").GetDouble()).Should().Be((0.1, 0.0, 0.2));
    }

    [Fact]
    public void The_model_mixed_with_an_ngram_model_is_reported_beside_its_own_score_generates_and_a_bad_order_is_refused()
    {
        SmallRun.Expect(CliRunner.Run(Timeout, _run.Train("--max-steps", "4", "--ema", "0.9")));

        var (_, json, _) = SmallRun.Expect(CliRunner.Run(Timeout, "eval", "--run", _run.Run, "--ngram", "3", "--ngram-weight", "0.3", "--json"));
        using var result = JsonDocument.Parse(json);
        var mixed = result.RootElement.GetProperty("ngram");
        mixed.GetProperty("order").GetInt32().Should().Be(3);
        mixed.GetProperty("weight").GetDouble().Should().Be(0.3);
        mixed.GetProperty("tokens").GetInt64().Should().Be(result.RootElement.GetProperty("tokens").GetInt64(), "both score the same tokens");
        mixed.GetProperty("word_perplexity").GetDouble().Should().BeGreaterThan(1).And.NotBe(result.RootElement.GetProperty("word_perplexity").GetDouble());

        var (_, table, _) = SmallRun.Expect(CliRunner.Run(Timeout, "eval", "--run", _run.Run, "--ngram", "2"));
        table.Should().Contain("static").And.Contain("with 2-gram (0.45)");

        var (code, _, error) = CliRunner.Run(Timeout, "eval", "--run", _run.Run, "--ngram", "40");
        code.Should().Be(2);
        error.Should().Contain("--ngram must be an order from 1 to").And.Contain("got 40");
        var (weightCode, _, weightError) = CliRunner.Run(Timeout, "eval", "--run", _run.Run, "--ngram", "3", "--ngram-weight", "2");
        weightCode.Should().Be(2);
        weightError.Should().Contain("--ngram-weight must be in [0, 1]");

        // Generation samples from the same mixture; the same seed gives the same text.
        string[] generate = ["generate", "--run", _run.Run, "--prompt", "the", "--max-new-tokens", "12", "--seed", "3", "--ngram", "3"];
        var (_, first, _) = SmallRun.Expect(CliRunner.Run(Timeout, generate));
        var (_, again, _) = SmallRun.Expect(CliRunner.Run(Timeout, generate));
        first.Should().StartWith("the").And.Be(again);
        var (generateCode, _, generateError) = CliRunner.Run(Timeout, "generate", "--run", _run.Run, "--prompt", "the", "--ngram", "0");
        generateCode.Should().Be(2);
        generateError.Should().Contain("--ngram must be an order from 1 to");
    }

    [Fact]
    public void Asking_for_cuda_on_the_cpu_build_says_what_to_install()
    {
        var (code, _, error) = CliRunner.Run(Timeout, _run.Train("--max-steps", "2", "--device", "cuda"));
        code.Should().NotBe(0);
        error.Should().Contain("TorchSharp-cuda").And.Contain("driver").And.NotContain("Trace from LoadNativeBackend");
    }

    [Fact]
    public void A_time_budget_plans_the_steps_and_dynamic_evaluation_is_reported_beside_the_static_score()
    {
        var (_, log, _) = SmallRun.Expect(CliRunner.Run(Timeout, _run.Train("--time-budget", "12s", "--eval-interval", "20", "--log-interval", "10")));
        log.Should().Contain("Time budget 00:00:12: planned").And.Contain("replays this schedule").And.Contain("Time budget 00:00:12: the run took");

        var (_, json, _) = SmallRun.Expect(CliRunner.Run(Timeout, "eval", "--run", _run.Run, "--dynamic", "--dynamic-lr", "0.02", "--json"));
        using var result = JsonDocument.Parse(json);
        var dynamic = result.RootElement.GetProperty("dynamic");
        dynamic.GetProperty("learning_rate").GetDouble().Should().Be(0.02);
        dynamic.GetProperty("tokens").GetInt64().Should().Be(result.RootElement.GetProperty("tokens").GetInt64(), "both score the same tokens");
        dynamic.GetProperty("word_perplexity").GetDouble().Should().BeGreaterThan(1).And.NotBe(result.RootElement.GetProperty("word_perplexity").GetDouble());
        result.RootElement.GetProperty("tokens_per_second").GetDouble().Should().BeGreaterThan(0);

        var (_, table, _) = SmallRun.Expect(CliRunner.Run(Timeout, "eval", "--run", _run.Run, "--dynamic"));
        table.Should().Contain("static").And.Contain("dynamic").And.Contain("tokens/s");
    }

    [Fact]
    public void A_prompt_longer_than_the_context_is_refused_with_the_way_out_and_accepted_when_asked_for()
    {
        SmallRun.Expect(CliRunner.Run(Timeout, _run.Train("--max-steps", "2")));
        var prompt = string.Join(' ', Enumerable.Repeat("the quick brown fox", 20));

        var (code, _, error) = CliRunner.Run(Timeout, "generate", "--run", _run.Run, "--prompt", prompt, "--max-new-tokens", "5");
        code.Should().NotBe(0, "the model's context is 32 tokens");
        error.Should().Contain("context of 32").And.Contain("--keep-last-tokens").And.Contain("--max-new-tokens");

        var (_, text, _) = SmallRun.Expect(CliRunner.Run(Timeout, "generate", "--run", _run.Run, "--prompt", prompt, "--max-new-tokens", "5", "--keep-last-tokens", "--seed", "1"));
        text.Should().StartWith(prompt);
    }

    [Fact]
    public void Generate_stops_before_a_stop_string_and_refuses_an_empty_one()
    {
        SmallRun.Expect(CliRunner.Run(Timeout, _run.Train("--max-steps", "2")));
        var (_, full, _) = SmallRun.Expect(CliRunner.Run(Timeout, "generate", "--run", _run.Run, "--prompt", "The", "--max-new-tokens", "12", "--method", "greedy"));
        var completion = full.TrimEnd('\n')["The".Length..];
        completion.Length.Should().BeGreaterThan(4);
        var stop = completion.Substring(2, 2);

        var (_, stopped, _) = SmallRun.Expect(CliRunner.Run(Timeout, "generate", "--run", _run.Run, "--prompt", "The", "--max-new-tokens", "12", "--method", "greedy", "--stop", "\u2603", "--stop", stop));

        stopped.TrimEnd('\n').Should().Be("The" + completion[..completion.IndexOf(stop, StringComparison.Ordinal)]);
        var (code, _, error) = CliRunner.Run(Timeout, "generate", "--run", _run.Run, "--prompt", "The", "--max-new-tokens", "5", "--stop", string.Empty);
        code.Should().Be(2);
        error.Should().Contain("--stop").And.NotContain("StopStrings");
    }

    [Fact]
    public void Generate_takes_a_no_repeat_size_and_refuses_a_negative_one_by_its_flag()
    {
        SmallRun.Expect(CliRunner.Run(Timeout, _run.Train("--max-steps", "2")));
        string[] greedy = ["generate", "--run", _run.Run, "--prompt", "The", "--max-new-tokens", "20", "--method", "greedy"];
        var (_, plain, _) = SmallRun.Expect(CliRunner.Run(Timeout, greedy));
        var (_, banned, _) = SmallRun.Expect(CliRunner.Run(Timeout, [.. greedy, "--no-repeat-ngram", "1"]));
        banned.Should().NotBe(plain, "size 1 bans every token already written, and a 2-step model's greedy text repeats some");

        var (code, _, error) = CliRunner.Run(Timeout, [.. greedy, "--no-repeat-ngram", "-1"]);
        code.Should().Be(2);
        error.Should().Contain("--no-repeat-ngram").And.NotContain("NoRepeatNgramSize");
    }

    [Fact]
    public void An_empty_prompt_says_it_starts_a_new_document()
    {
        SmallRun.Expect(CliRunner.Run(Timeout, _run.Train("--max-steps", "2")));
        var (_, _, error) = SmallRun.Expect(CliRunner.Run(Timeout, "generate", "--run", _run.Run, "--max-new-tokens", "5", "--seed", "1"));
        error.Should().Contain("the prompt is empty").And.Contain("new document");
    }

    [Fact]
    public void A_vocabulary_the_text_cannot_fill_is_reported_with_the_size_reached()
    {
        var (_, _, error) = SmallRun.Expect(CliRunner.Run(Timeout, "prepare", "--run", Path.Combine(_run.Folder, "big-vocab"), "--text", _run.TextFile, "--vocab-size", "5000"));
        error.Should().Contain("warning: the tokenizer has").And.Contain("not the 5,000 asked for");
    }

    [Fact]
    public void Ddp_check_outside_mpi_says_it_ran_one_process_and_fails_unless_asked_for_one_rank()
    {
        var (code, _, error) = CliRunner.Run(Timeout, "ddp-check", "--quick");
        code.Should().Be(1);
        error.Should().Contain("one process").And.Contain("mpirun").And.Contain("--single-rank");

        var (_, output, _) = SmallRun.Expect(CliRunner.Run(Timeout, "ddp-check", "--quick", "--single-rank"));
        output.Should().Contain("PASSED (one rank, without MPI)");
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void A_run_folder_this_user_may_not_write_gives_a_plain_permission_error()
    {
        SmallRun.Expect(CliRunner.Run(Timeout, _run.Train("--max-steps", "2")));
        foreach (var path in Directory.EnumerateFileSystemEntries(_run.Run, "*", SearchOption.AllDirectories).Append(_run.Run))
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) & ~(UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite));
        }

        try
        {
            // Root may write anyway, so the command runs as an unprivileged user when the tests run as root.
            var (code, _, error) = CliRunner.RunUnprivileged(Timeout, _run.Train("--max-steps", "4", "--resume"));
            code.Should().Be(1);
            error.Should().Contain("permission denied").And.Contain("--run").And.NotContain("   at ").And.NotContain("UnauthorizedAccessException");
        }
        finally
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(_run.Run, "*", SearchOption.AllDirectories).Append(_run.Run))
            {
                File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserWrite);
            }
        }
    }
}
