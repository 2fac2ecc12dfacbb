using System.Diagnostics;

namespace TinyGpt.Modeling;

/// <summary>
/// Runs the blocks of one <see cref="RowProduct"/> call on the calling thread and on helper
/// threads that stay awake between calls. A decoding step makes a product every few tens of
/// microseconds; a thread-pool worker woken for each (<c>Parallel.For</c>) started so late that
/// the caller had often done both halves itself (two threads measured 1.15x one on the LM head).
/// Helpers spin for a short while after each call, then sleep until the next.
/// </summary>
internal sealed class SpinningWorkers
{
    // How long a helper spins for the next call before it sleeps: longer than the gap between a
    // decoding step's products, short enough that training, which makes none, gets its core back.
    private static readonly long SpinTicks = Stopwatch.Frequency / 500;

    private static readonly Lazy<SpinningWorkers> Shared = new(() => new SpinningWorkers(Math.Max(0, Environment.ProcessorCount - 1)));

    private readonly object _gate = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly int _helpers;
    private Action<int>? _body;
    private int _blocks;
    private long _call;
    private int _pending;
    private int _sleeping;
    private Exception? _failure;

    private SpinningWorkers(int helpers)
    {
        _helpers = helpers;
        for (var i = 0; i < helpers; i++)
        {
            var index = i + 1;
            new Thread(() => Work(index)) { IsBackground = true, Name = $"TinyGpt decode {index}" }.Start();
        }
    }

    /// <summary>Runs <paramref name="body"/>(0 .. <paramref name="blocks"/> - 1) in parallel where helpers are free, and returns when all have run.</summary>
    public static void Run(int blocks, Action<int> body)
    {
        var workers = Shared.Value;
        // One call at a time uses the helpers; a second caller (another generator) runs alone.
        if (blocks <= 1 || workers._helpers == 0 || !Monitor.TryEnter(workers._gate))
        {
            for (var block = 0; block < blocks; block++)
            {
                body(block);
            }

            return;
        }

        try
        {
            workers.RunLocked(Math.Min(blocks, workers._helpers + 1), blocks, body);
        }
        finally
        {
            Monitor.Exit(workers._gate);
        }
    }

    private void RunLocked(int parallel, int blocks, Action<int> body)
    {
        _body = body;
        _blocks = parallel;
        Volatile.Write(ref _pending, parallel - 1);
        Interlocked.Increment(ref _call);
        var sleeping = Interlocked.Exchange(ref _sleeping, 0);
        if (sleeping > 0)
        {
            _wake.Release(sleeping);
        }

        body(0);
        // Blocks past the helpers' share (more blocks than threads) run here.
        for (var block = parallel; block < blocks; block++)
        {
            body(block);
        }

        var spinner = default(SpinWait);
        while (Volatile.Read(ref _pending) > 0)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }

        _body = null;
        if (Interlocked.Exchange(ref _failure, null) is { } failure)
        {
            throw new InvalidOperationException("A decoding helper thread failed.", failure);
        }
    }

    private void Work(int index)
    {
        // No call has started when the helpers are made (the constructor runs first), and a helper
        // that read the counter when it starts could miss the first call and leave it waiting.
        long seen = 0;
        while (true)
        {
            var idleSince = Stopwatch.GetTimestamp();
            long call;
            while ((call = Interlocked.Read(ref _call)) == seen)
            {
                if (Stopwatch.GetTimestamp() - idleSince > SpinTicks)
                {
                    Interlocked.Increment(ref _sleeping);
                    // A call that started after the count went up releases this wait; one that
                    // started before it is seen by the check below.
                    if (Interlocked.Read(ref _call) == seen)
                    {
                        _wake.Wait();
                    }

                    idleSince = Stopwatch.GetTimestamp();
                }
                else
                {
                    Thread.SpinWait(20);
                }
            }

            seen = call;
            if (index < _blocks)
            {
                try
                {
                    _body!(index);
                }
                catch (Exception e)
                {
                    // Handed to the caller, which rethrows it; a helper must not die.
                    _failure = e;
                }

                Interlocked.Decrement(ref _pending);
            }
        }
    }
}
