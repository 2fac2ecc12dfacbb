using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Spectre.Console;
using TinyGpt.Checkpoints;
using TinyGpt.Distributed.Mpi;
using TinyGpt.Text;
using TinyGpt.Training;

namespace TinyGpt.Cli;

/// <summary>
/// Turns every failure into one message on stderr that says what was wrong and what to do, in the
/// CLI's own terms (its flags, not the library's property names), and a non-zero exit code. Never a
/// stack trace: an unexpected exception's details go to a file that the message names.
/// </summary>
internal static partial class CliErrors
{
    /// <summary>Exit code of a command line that could not be parsed or an option value that was refused.</summary>
    public const int Usage = 2;

    /// <summary>Exit code when a download failed.</summary>
    public const int Download = 3;

    /// <summary>Exit code of a bug: an exception nobody expected.</summary>
    public const int Internal = 70;

    /// <summary>
    /// Library setting names and the flags that set them, so that a message about
    /// <c>LearningRate</c> says <c>--lr</c>. A name is replaced only where it stands as a word.
    /// </summary>
    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["BatchSize"] = "--batch-size",
        ["ContextLength"] = "--context",
        ["GradientAccumulationSteps"] = "--grad-accum",
        ["MaxSteps"] = "--max-steps",
        ["Epochs"] = "--epochs",
        ["TimeBudget"] = "--time-budget",
        ["LearningRate"] = "--lr",
        ["MinLearningRate"] = "--min-lr",
        ["WarmupSteps"] = "--warmup",
        ["WeightDecay"] = "--weight-decay",
        ["Threads"] = "--threads",
        ["Device"] = "--device",
        ["EvalInterval"] = "--eval-interval",
        ["EvalStride"] = "--eval-stride",
        ["WeightAverageDecay"] = "--ema",
        ["LogInterval"] = "--log-interval",
        ["SampleInterval"] = "--sample-interval",
        ["PeakFlops"] = "--peak-gflops",
        ["EmbeddingSize"] = "--width",
        ["LayerCount"] = "--layers",
        ["HeadCount"] = "--heads",
        ["Dropout"] = "--dropout",
        ["AttentionDropout"] = "--attention-dropout",
        ["EmbeddingDropout"] = "--embedding-dropout",
        ["LabelSmoothing"] = "--label-smoothing",
        ["VocabSize"] = "--vocab-size",
        ["TrainSplit"] = "--train-split",
        ["EvalSplit"] = "--eval-split",
        ["RunDirectory"] = "--run",
        ["MaxNewTokens"] = "--max-new-tokens",
        ["StopStrings"] = "--stop",
        ["Temperature"] = "--temperature",
        ["TopK"] = "--top-k",
        ["TopP"] = "--top-p",
        ["RepetitionPenalty"] = "--repetition-penalty",
        ["NoRepeatNgramSize"] = "--no-repeat-ngram",
    };

    /// <summary>
    /// A person at a terminal: live progress and colours. Not when output goes to a file or pipe,
    /// and not under mpirun, srun or an MPIJob, which merge the ranks' output (and may hand rank 0
    /// a pseudo-terminal).
    /// </summary>
    public static bool Interactive { get; } =
        !Console.IsOutputRedirected
        && AnsiConsole.Profile.Capabilities.Interactive
        && !TinyGpt.Distributed.Launch.LaunchEnvironment.Detect().IsUnderLauncher
        && Environment.GetEnvironmentVariable("NO_COLOR") is null;

    /// <summary>Runs a command's work and maps what it throws to a message and an exit code.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (TrainingStoppedException stopped)
        {
            Console.Error.WriteLine(!stopped.CheckpointSaved
                ? $"tinygpt: stopped after step {stopped.Step}; nothing was saved."
                : stopped.CheckpointPath is { } checkpoint
                    ? $"tinygpt: stopped after step {stopped.Step}; the checkpoint {checkpoint} holds it. Continue with the same 'tinygpt train' command and --resume."
                    : $"tinygpt: stopped after step {stopped.Step} with the other ranks; rank 0 saved the checkpoint.");
            return StopSignals.Current?.ExitCode ?? 130;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("tinygpt: stopped.");
            return StopSignals.Current?.ExitCode ?? 130;
        }
        catch (Exception ex)
        {
            var (message, code) = Describe(ex);
            Console.Error.WriteLine($"tinygpt: error: {message}");
            return code;
        }
    }

    /// <summary>Prints the parse errors in plain words (no .NET type names) with a pointer to --help.</summary>
    public static int ReportParseErrors(ParseResult result)
    {
        foreach (var error in result.Errors)
        {
            Console.Error.WriteLine($"tinygpt: error: {Plain(error.Message)}");
        }

        var command = result.CommandResult.Command == result.RootCommandResult.Command ? string.Empty : result.CommandResult.Command.Name + " ";
        Console.Error.WriteLine($"tinygpt: see 'tinygpt {command}--help' for the options.");
        return Usage;
    }

    /// <summary>The message of <paramref name="exception"/> in the CLI's terms, and the exit code it ends with.</summary>
    internal static (string Message, int ExitCode) Describe(Exception exception) => exception switch
    {
        FileNotFoundException notPrepared when notPrepared.FileName?.EndsWith("prepare.json", StringComparison.Ordinal) == true
            => ($"{notPrepared.Message} Run 'tinygpt prepare --run {Path.GetDirectoryName(notPrepared.FileName)}' (with --data-dir or --text for local data) first.", 1),
        DataDownloadException download => ($"{download.Message}\ntinygpt: to use local files instead, pass --data-dir FOLDER with wiki.train.raw, wiki.valid.raw and wiki.test.raw (any of them).", Download),
        ArgumentException argument => (WithFlags(WithoutParameterSuffix(argument.Message)), Usage),
        UnauthorizedAccessException denied => ($"permission denied: {denied.Message} Check that this user may write to the run folder, or choose another with --run.", 1),
        FileNotFoundException or DirectoryNotFoundException or InvalidDataException or InvalidOperationException or CheckpointMismatchException or TrainingDivergedException or MpiUnavailableException or IOException or NotSupportedException
            => (WithFlags(exception.Message), 1),
        _ => (Unexpected(exception), Internal),
    };

    private static string Unexpected(Exception exception)
    {
        var report = Path.Combine(Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"tinygpt-error-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}.txt"));
        try
        {
            File.WriteAllText(report, exception.ToString());
        }
        catch (IOException)
        {
            report = "(could not be written)";
        }
        catch (UnauthorizedAccessException)
        {
            report = "(could not be written)";
        }

        return $"unexpected {exception.GetType().Name}: {exception.Message} This is a bug in TinyGpt; the details are in {report}.";
    }

    // "Invalid TrainingOptions: LearningRate must be ..." reads "--lr must be ..." on the command line.
    // A compound name (LearningRate, TrainSplit) is a setting wherever it stands; a plain word
    // (Device, Dropout) only as the subject of a problem, since it may also start a sentence.
    private static string WithFlags(string message)
    {
        var text = InvalidPrefix().Replace(message, string.Empty);
        text = CompoundName().Replace(text, m => Flags.TryGetValue(m.Value, out var flag) ? flag : m.Value);
        return SettingName().Replace(text, m => Flags.TryGetValue(m.Value, out var flag) ? flag : m.Value);
    }

    private static string WithoutParameterSuffix(string message) => ParameterSuffix().Replace(message, string.Empty);

    // System.CommandLine names the .NET type it expected: say what kind of value instead.
    private static string Plain(string message) => ExpectedType().Replace(message, m => m.Groups["type"].Value switch
    {
        var t when t.Contains("Int32", StringComparison.Ordinal) || t.Contains("Int64", StringComparison.Ordinal) => "as a whole number",
        var t when t.Contains("Double", StringComparison.Ordinal) || t.Contains("Single", StringComparison.Ordinal) => "as a number",
        var t when t.Contains("Boolean", StringComparison.Ordinal) => "as true or false",
        _ => "as a value of that option",
    });

    [GeneratedRegex(@"as expected type '(?<type>[^']+)'", RegexOptions.CultureInvariant)]
    private static partial Regex ExpectedType();

    [GeneratedRegex(@"^Invalid [A-Za-z]+: ", RegexOptions.CultureInvariant)]
    private static partial Regex InvalidPrefix();

    [GeneratedRegex(@" \(Parameter '[^']*'\)$", RegexOptions.CultureInvariant)]
    private static partial Regex ParameterSuffix();

    [GeneratedRegex(@"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b", RegexOptions.CultureInvariant)]
    private static partial Regex CompoundName();

    // A setting named as the subject of a problem ("LearningRate must be ...", "HeadCount (6)").
    [GeneratedRegex(@"\b[A-Z][A-Za-z]+\b(?= (must|is|\(|-?\d))", RegexOptions.CultureInvariant)]
    private static partial Regex SettingName();
}
