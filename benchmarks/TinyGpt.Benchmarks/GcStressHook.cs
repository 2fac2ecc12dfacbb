using System.Diagnostics.CodeAnalysis;
using System.Globalization;

/// <summary>
/// A .NET startup hook (<c>DOTNET_STARTUP_HOOKS=.../TinyGpt.Benchmarks.dll</c>) that the soak
/// benchmark puts into the processes it starts: a background thread collects garbage and runs
/// finalizers every millisecond or so, which turns a TorchSharp object left to the finalizer into
/// a crash within seconds instead of once in a few long runs. It touches only the runtime, so it
/// loads into any .NET program; <c>TINYGPT_GC_STRESS_INTERVAL_MS</c> sets the pause between
/// collections.
/// </summary>
[SuppressMessage("Design", "CA1050:Declare types in namespaces", Justification = "The runtime looks for a type named StartupHook in the global namespace.")]
internal static class StartupHook
{
    public static void Initialize()
    {
        var interval = int.TryParse(Environment.GetEnvironmentVariable("TINYGPT_GC_STRESS_INTERVAL_MS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) ? ms : 1;
        var thread = new Thread(() =>
        {
            while (true)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Thread.Sleep(interval);
            }
        })
        {
            IsBackground = true,
            Name = "gc-stress",
        };
        thread.Start();
    }
}
