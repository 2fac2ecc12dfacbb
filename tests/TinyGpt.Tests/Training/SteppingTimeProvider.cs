using System.Diagnostics;

namespace TinyGpt.Tests.Training;

/// <summary>A clock that moves forward by a fixed tick every time it is read: timings become a deterministic function of the code that reads them.</summary>
internal sealed class SteppingTimeProvider(TimeSpan tick) : TimeProvider
{
    private long _now;

    public override long TimestampFrequency => Stopwatch.Frequency;

    public override long GetTimestamp() => Interlocked.Add(ref _now, (long)(tick.TotalSeconds * Stopwatch.Frequency));
}
