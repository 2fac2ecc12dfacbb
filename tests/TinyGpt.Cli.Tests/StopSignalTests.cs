using TinyGpt.Checkpoints;
using TinyGpt.Testing;

namespace TinyGpt.Cli.Tests;

/// <summary>
/// Real signals to a real <c>tinygpt train</c> process: Ctrl+C (SIGINT) and SIGTERM stop training
/// at the next step boundary, save a checkpoint however long that takes, say so, and exit with 130
/// or 143; the run then resumes from that checkpoint. A second signal ends the process at once.
/// </summary>
[Collection(SignalCollection.Name)]
public sealed class StopSignalTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly SmallRun _run = new();

    public void Dispose() => _run.Dispose();

    [Theory]
    [InlineData(WatchedProcess.SigInt, 130)]
    [InlineData(WatchedProcess.SigTerm, 143)]
    public void A_stop_signal_saves_the_step_it_stopped_at_and_the_run_resumes_from_it(int signal, int exitCode)
    {
        using var training = CliProcess.Start(_run.Train("--max-steps", "100000", "--eval-interval", "0"));
        training.WaitForLine(line => line.Contains("step 3/", StringComparison.Ordinal), Timeout);

        training.Signal(signal);

        training.WaitForExit(Timeout).Should().Be(exitCode, training.Output);
        var stopped = training.WaitForLine(line => line.StartsWith("tinygpt: stopped after step ", StringComparison.Ordinal), Timeout);
        var step = int.Parse(stopped.Split(' ')[4].TrimEnd(';'), System.Globalization.CultureInfo.InvariantCulture);
        step.Should().BeGreaterThanOrEqualTo(3);
        var store = new CheckpointStore(Path.Combine(_run.Run, "checkpoints"));
        store.LatestPath.Should().EndWith($"step-{step:D8}.safetensors", "the checkpoint holds the step training stopped at");
        CheckpointStore.ReadState(store.LatestPath!).Step.Should().Be(step);
        var checkpoint = store.LatestPath!;
        stopped.Should().Contain(checkpoint, "the message says where the checkpoint is");

        var resumed = SmallRun.Expect(CliRunner.Run(Timeout, _run.Train("--max-steps", (step + 2).ToString(System.Globalization.CultureInfo.InvariantCulture), "--resume")));
        resumed.Output.Should().Contain($"Resumed from {checkpoint} at step {step}");
    }

    [Fact]
    public void Ctrl_c_while_preset_auto_times_the_presets_stops_at_once_and_writes_nothing()
    {
        var before = _run.Snapshot();
        // Batches of 64 x 256 tokens: each timed pass of the small preset takes seconds here.
        using var training = CliProcess.Start(_run.Train("--preset", "auto", "--time-budget", "20m", "--batch-size", "64", "--context", "256"));
        training.WaitForLine(line => line.Contains("--preset auto: timing training steps", StringComparison.Ordinal), Timeout);

        training.Signal(WatchedProcess.SigInt);

        training.WaitForExit(Timeout).Should().Be(130, training.Output);
        training.Output.Should().Contain("tinygpt: stopped.").And.NotContain("--preset auto chose").And.NotContain("Stopping at step");
        _run.Snapshot().Should().Equal(before, "nothing was trained, so nothing is written");
    }

    [Fact]
    public void A_large_models_checkpoint_is_written_completely_and_a_second_signal_aborts_at_once()
    {
        // About 60 M parameters: a checkpoint of some 700 MB, which takes long enough to save for a
        // second signal to arrive in the middle of it.
        string[] large = [.. _run.Train("--max-steps", "100000", "--eval-interval", "0", "--width", "768", "--layers", "8", "--heads", "12", "--batch-size", "1", "--context", "16")];

        using (var training = CliProcess.Start(large))
        {
            training.WaitForLine(line => line.Contains("step 1/", StringComparison.Ordinal), Timeout);
            training.Signal(WatchedProcess.SigInt);
            training.WaitForExit(Timeout).Should().Be(130, training.Output);
            training.Output.Should().Contain("tinygpt: stopped after step");
        }

        var store = new CheckpointStore(Path.Combine(_run.Run, "checkpoints"));
        var saved = store.LatestPath!;
        using (var model = CheckpointStore.LoadModel(saved))
        {
            model.Config.EmbeddingSize.Should().Be(768, "the whole checkpoint was written and reads back, checksum included");
        }

        using (var training = CliProcess.Start([.. large.Select(a => a == "100000" ? "200000" : a), "--resume"]))
        {
            training.WaitForLine(line => line.Contains("Resumed from", StringComparison.Ordinal), Timeout);
            training.WaitForLine(line => line.Contains("/200000 |", StringComparison.Ordinal), Timeout);
            training.Signal(WatchedProcess.SigInt);
            training.WaitForLine(line => line.Contains("Stopping at step", StringComparison.Ordinal), Timeout);
            training.Signal(WatchedProcess.SigInt); // while the checkpoint is being written
            training.WaitForExit(Timeout).Should().Be(130, training.Output);
            training.Output.Should().Contain("again: aborting at once").And.NotContain("tinygpt: stopped after step");
        }

        // However the save was interrupted, the latest checkpoint is a whole one (the one before,
        // unless the new one was complete): a checkpoint is never half-written.
        using (var model = CheckpointStore.LoadModel(store.LatestPath!))
        {
            model.Config.EmbeddingSize.Should().Be(768);
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SignalCollection
{
    public const string Name = "Signals";
}
