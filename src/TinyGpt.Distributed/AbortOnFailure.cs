using System.Globalization;
using TinyGpt.Training;

namespace TinyGpt.Distributed;

/// <summary>
/// Runs a rank's work so that a failure on one rank ends the whole job at once instead of leaving
/// the other ranks waiting forever in their next collective.
/// </summary>
public static class AbortOnFailure
{
    /// <summary>
    /// Runs <paramref name="rankMain"/>; an exception escaping it, or unhandled on any other thread
    /// meanwhile, calls <see cref="ICollective.Abort"/> with the rank and the error.
    /// </summary>
    /// <returns>The exit code <paramref name="rankMain"/> returned.</returns>
    public static int Run(ICollective collective, Func<int> rankMain)
    {
        ArgumentNullException.ThrowIfNull(collective);
        ArgumentNullException.ThrowIfNull(rankMain);
        return RunAsync(collective, () => Task.FromResult(rankMain())).GetAwaiter().GetResult();
    }

    /// <summary>As <see cref="Run"/>, for asynchronous work.</summary>
    public static async Task<int> RunAsync(ICollective collective, Func<Task<int>> rankMain)
    {
        ArgumentNullException.ThrowIfNull(collective);
        ArgumentNullException.ThrowIfNull(rankMain);

        void OnUnhandled(object? sender, UnhandledExceptionEventArgs e) =>
            collective.Abort(Describe(collective, e.ExceptionObject as Exception, "unhandled exception on a background thread"));

        AppDomain.CurrentDomain.UnhandledException += OnUnhandled;
        try
        {
            return await rankMain().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Every failure must end the job; which kind does not matter.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            collective.Abort(Describe(collective, ex, "unhandled exception"));
            return 1; // Abort ends the process; this is only reached by a collective that returns.
        }
        finally
        {
            AppDomain.CurrentDomain.UnhandledException -= OnUnhandled;
        }
    }

    private static string Describe(ICollective collective, Exception? exception, string what) => string.Create(
        CultureInfo.InvariantCulture,
        $"{what} on rank {collective.Rank} of {collective.WorldSize}: {exception?.ToString() ?? "(no exception object)"}");
}
