using System.Diagnostics;

namespace TinyGpt.Benchmarks;

/// <summary>Milliseconds per pass of a piece of work, over a minimum time after one warm-up pass.</summary>
internal static class PassTimer
{
    public static double Milliseconds(Action pass, int minimumMilliseconds)
    {
        pass();
        var watch = Stopwatch.StartNew();
        var passes = 0;
        while (watch.ElapsedMilliseconds < minimumMilliseconds)
        {
            pass();
            passes++;
        }

        return watch.Elapsed.TotalMilliseconds / passes;
    }
}
