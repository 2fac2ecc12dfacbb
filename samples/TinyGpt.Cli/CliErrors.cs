using Spectre.Console;
using TinyGpt.Text;

namespace TinyGpt.Cli;

/// <summary>Turns failures into a message on stderr and a non-zero exit code.</summary>
internal static class CliErrors
{
    public const int Cancelled = 130;

    public static async Task<int> RunAsync(Func<Task<int>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("tinygpt: stopped. A checkpoint of the last completed step was saved; continue with 'tinygpt train --run DIR --resume'.");
            return Cancelled;
        }
        catch (DataDownloadException ex)
        {
            Console.Error.WriteLine($"tinygpt: {ex.Message}");
            Console.Error.WriteLine("tinygpt: to use local files instead, pass --data-dir FOLDER with wiki.train.raw, wiki.valid.raw and wiki.test.raw (any of them).");
            return 3;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or InvalidOperationException or IOException or TinyGpt.Training.TrainingDivergedException)
        {
            Console.Error.WriteLine($"tinygpt: error: {ex.Message}");
            return 1;
        }
    }

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
}
