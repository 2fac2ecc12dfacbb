using System.Collections.Concurrent;

namespace TinyGpt.Cli;

/// <summary>
/// Writes log lines to stdout from a thread of its own, so that the training thread never waits for
/// the console. That matters under mpirun: when Open MPI ends a job it stops relaying the ranks'
/// output, and a rank writing its log would then block for ever instead of stopping at the next
/// step and saving its checkpoint.
/// </summary>
internal sealed class BackgroundLineWriter : IDisposable
{
    private readonly BlockingCollection<string> _lines = new(new ConcurrentQueue<string>(), boundedCapacity: 10_000);
    private readonly Thread _thread;
    private long _queued;
    private long _written;

    private BackgroundLineWriter()
    {
        _thread = new Thread(() =>
        {
            foreach (var line in _lines.GetConsumingEnumerable())
            {
                Console.Out.WriteLine(line);
                Interlocked.Increment(ref _written);
            }
        })
        {
            IsBackground = true,
            Name = "tinygpt log writer",
        };
        _thread.Start();
    }

    /// <summary>The writer of this process.</summary>
    public static BackgroundLineWriter Instance { get; } = new();

    /// <summary>Queues a line; when the queue is full (the console does not take lines any more) the line is dropped rather than waited for.</summary>
    public void WriteLine(string line)
    {
        if (_lines.TryAdd(line))
        {
            Interlocked.Increment(ref _queued);
        }
    }

    /// <summary>Waits, at most <paramref name="timeout"/>, until every line queued so far is written (before other output follows it).</summary>
    public void Flush(TimeSpan timeout)
    {
        var target = Interlocked.Read(ref _queued);
        var deadline = DateTime.UtcNow + timeout;
        while (Interlocked.Read(ref _written) < target && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }
    }

    /// <summary>Writes what is queued, waiting at most a few seconds for a console that takes no more lines.</summary>
    public void Dispose()
    {
        _lines.CompleteAdding();
        _thread.Join(TimeSpan.FromSeconds(3));
    }
}
