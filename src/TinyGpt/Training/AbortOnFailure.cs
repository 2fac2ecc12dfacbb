using System.Globalization;

namespace TinyGpt.Training;

/// <summary>
/// Runs a rank's work so that a failure on one rank ends the whole job at once, instead of leaving
/// the other ranks waiting forever in their next collective. This is the one place where TinyGpt
/// ends a data-parallel job: the <see cref="Trainer"/> runs every multi-rank training in it.
/// </summary>
/// <remarks>
/// A stop (<see cref="OperationCanceledException"/>) and a diverged loss
/// (<see cref="TrainingDivergedException"/>) are agreed over all ranks, so every rank meets them
/// at the same step: they end each rank normally and are not a reason to abort.
/// </remarks>
public static class AbortOnFailure
{
    /// <summary>
    /// Runs <paramref name="rankMain"/>; an exception escaping it, or unhandled on any other thread
    /// meanwhile, calls <see cref="ICollective.Abort"/> with the rank and the error. With one rank
    /// there is nobody to wait, so the exception simply propagates.
    /// </summary>
    public static T Run<T>(ICollective collective, Func<T> rankMain)
    {
        ArgumentNullException.ThrowIfNull(collective);
        ArgumentNullException.ThrowIfNull(rankMain);
        return RunAsync(collective, () => Task.FromResult(rankMain())).GetAwaiter().GetResult();
    }

    /// <summary>As <see cref="Run{T}"/>, for asynchronous work.</summary>
    public static async Task<T> RunAsync<T>(ICollective collective, Func<Task<T>> rankMain)
    {
        ArgumentNullException.ThrowIfNull(collective);
        ArgumentNullException.ThrowIfNull(rankMain);
        if (collective.WorldSize == 1)
        {
            return await rankMain().ConfigureAwait(false);
        }

        void OnUnhandled(object? sender, UnhandledExceptionEventArgs e) =>
            collective.Abort(Describe(collective, e.ExceptionObject as Exception, "unhandled exception on a background thread"));

        AppDomain.CurrentDomain.UnhandledException += OnUnhandled;
        try
        {
            return await rankMain().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not TrainingDivergedException)
        {
            collective.Abort(Describe(collective, ex, "unhandled exception"));
            throw; // Abort ends the process; this is reached only with a collective whose Abort returns.
        }
        finally
        {
            AppDomain.CurrentDomain.UnhandledException -= OnUnhandled;
        }
    }

    private static string Describe(ICollective collective, Exception? exception, string what) => string.Create(
        CultureInfo.InvariantCulture,
        $"{what} on rank {collective.Rank} of {collective.WorldSize}: {(exception is null ? "(no exception object)" : $"{exception.GetType().Name}: {exception.Message}")}");
}
