using System.Diagnostics;
using System.Threading.Channels;
using TinyGpt.Modeling;
using TinyGpt.Torch;
using static TorchSharp.torch;

namespace TinyGpt.Generation;

/// <summary>
/// Decodes every generation of one <see cref="TokenGenerator"/> together (continuous batching).
/// Batch-1 decoding reads all weights for one token, so a step for several sequences costs little
/// more than for one. One loop, on its own thread while any request is live, repeats:
/// <list type="number">
/// <item>admit waiting requests up to the batch limit: prefill each prompt but its last token into a
/// row of its own;</item>
/// <item>one forward pass for all rows, each row's next input at its own position;</item>
/// <item>choose each row's token with the row's own sampler, hand it to the caller, and drop rows
/// that stopped, reached their limit, were cancelled or abandoned.</item>
/// </list>
/// A new request therefore waits at most one step plus its prefill for its first token, and each
/// row computes what it would compute alone: its own positions, its own cached keys, its own seed.
/// When the last row leaves, the loop keeps its cache and weight copies for the idle timeout
/// (<see cref="TokenGenerator.IdleTimeout"/>) in case another request comes: making them again
/// cost 100-320 ms here (fresh memory, page faults), which a request to an idle generator waited for. A busy period that starts on kept copies first hashes
/// the weights and packs again those that changed (<see cref="DecodeWeights.Refresh"/>).
/// </summary>
internal sealed class ContinuousBatcher
{
    private readonly GptModel _model;
    private readonly int _maxBatchSize;
    private readonly bool _decodeLayout;
    private readonly TimeSpan _idleTimeout;
    private int _threads = 1;
    private readonly Lock _lock = new();
    private readonly Queue<Request> _waiting = new();
    private readonly ManualResetEventSlim _arrived = new();
    private bool _running;
    private long _steps;
    private int _largestBatch;
    private long _prefillTicks;
    private long _forwardTicks;
    private long _sampleTicks;
    private long _handOffTicks;
    private int _cachesMade;
    private int _liveLoops;
    private volatile bool _exiting;

    // The longest the process's exit waits for a step in progress (a long prompt's prefill).
    private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(10);

    public ContinuousBatcher(GptModel model, int maxBatchSize, bool decodeLayout, TimeSpan idleTimeout)
    {
        (_model, _maxBatchSize, _decodeLayout, _idleTimeout) = (model, maxBatchSize, decodeLayout, idleTimeout);
    }

    /// <summary>Whether the loop's thread is live: decoding, or idling on its kept cache (for tests).</summary>
    public bool Running
    {
        get
        {
            lock (_lock)
            {
                return _running;
            }
        }
    }

    /// <summary>Busy periods that had to make a cache and weight copies (for tests).</summary>
    public int CachesMade => Volatile.Read(ref _cachesMade);

    /// <summary>Batched forward passes so far (for tests and benchmarks).</summary>
    public long Steps => Interlocked.Read(ref _steps);

    /// <summary>Most rows one step has decoded (for tests and benchmarks).</summary>
    public int LargestBatch => Volatile.Read(ref _largestBatch);

    /// <summary>Where the loop's time went so far: prefills, batched forward passes, sampling, and handing tokens to callers (for benchmarks).</summary>
    public (TimeSpan Prefill, TimeSpan Forward, TimeSpan Sample, TimeSpan HandOff) Timings => (
        Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _prefillTicks)),
        Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _forwardTicks)),
        Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _sampleTicks)),
        Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _handOffTicks)));

    /// <summary>Queues a generation of <paramref name="context"/> (already validated and cut to the context); read its tokens from the returned request, and dispose it to leave early.</summary>
    /// <param name="context">The prompt, validated and cut to the context.</param>
    /// <param name="options">The generation's options.</param>
    /// <param name="cancellationToken">Cancels the generation.</param>
    public Request Submit(List<int> context, GenerationOptions options, CancellationToken cancellationToken) =>
        SubmitAll([(context, options)], cancellationToken)[0];

    /// <summary>Queues several generations at once, so that they start in the same step.</summary>
    public Request[] SubmitAll(IReadOnlyList<(List<int> Context, GenerationOptions Options)> generations, CancellationToken cancellationToken)
    {
        var requests = generations.Select(g => new Request(g.Context, g.Options, _model.Config.ContextLength, cancellationToken)).ToArray();
        bool start;
        lock (_lock)
        {
            foreach (var request in requests)
            {
                _waiting.Enqueue(request);
            }

            start = !_running;
            _running = true;
        }

        // Wakes a loop that idles on its kept cache (Run); a loop that is busy ignores it.
        _arrived.Set();
        if (start)
        {
            Interlocked.Increment(ref _liveLoops);
            _ = Task.Factory.StartNew(Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        return requests;
    }

    /// <summary>
    /// Ends the loop at its next step and waits for it (for the process's exit, and tests): a
    /// process that ends while this thread is inside libtorch crashed in libtorch's own teardown
    /// (a segfault at address 0 in this thread, after a caller stopped reading at a stop string and
    /// returned from Main while its row was still being decoded). Waiting requests and rows fail.
    /// </summary>
    public void StopForExit()
    {
        _exiting = true;
        _arrived.Set();
        SpinWait.SpinUntil(() => Volatile.Read(ref _liveLoops) == 0, ExitWait);
    }

    private void Run()
    {
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        try
        {
            Decode();
        }
        finally
        {
            AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
            Interlocked.Decrement(ref _liveLoops);
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) => StopForExit();

    private void Decode()
    {
        // Gradient mode is per thread in libtorch: this loop's thread never records a graph.
        using var noGrad = no_grad();
        // Decoding steps run libtorch's operators on this thread alone: their tensors are a few
        // rows, and the weight products use every core by themselves (OpenMpThreads). Prefills
        // (whole prompts) get the usual threads. Asking for the count first makes libtorch set up
        // this thread's count now, not in the middle of the first step.
        _threads = get_num_threads();
        OpenMpThreads.TrySet(1);
        var rows = new List<Request>();
        BatchedKvCache? cache = null;
        while (true)
        {
            if (_exiting)
            {
                Exit(cache, rows);
                return;
            }

            var admitted = new List<Request>();
            lock (_lock)
            {
                while (_waiting.Count > 0 && rows.Count + admitted.Count < _maxBatchSize)
                {
                    admitted.Add(_waiting.Dequeue());
                }

                if (rows.Count == 0 && admitted.Count == 0)
                {
                    // Reset under the lock, after seeing the queue empty: a request queued from
                    // here on sets it again, so none is missed.
                    _arrived.Reset();
                }
            }

            if (rows.Count == 0 && admitted.Count == 0)
            {
                if (cache is not null && _arrived.Wait(_idleTimeout))
                {
                    continue;
                }

                lock (_lock)
                {
                    if (_waiting.Count > 0)
                    {
                        continue;
                    }

                    _running = false;
                }

                cache?.Dispose();
                return;
            }

            try
            {
                if (rows.Count == 0)
                {
                    cache = StartBusyPeriod(cache);
                }

                Debug.Assert(cache is not null, "Live rows are always in a cache.");
                cache.Reserve(rows.Count + admitted.Count);

                foreach (var request in admitted)
                {
                    if (request.Left)
                    {
                        request.Complete();
                        continue;
                    }

                    rows.Add(request);
                    request.Row = cache.AddRow();
                    Prefill(cache, request);
                }

                var finished = Remove(cache, rows);
                if (rows.Count > 0)
                {
                    Step(cache, rows);
                    finished.AddRange(Remove(cache, rows));
                }

                foreach (var request in rows.Where(r => r.NeedsPrefill))
                {
                    Prefill(cache, request);
                }

                foreach (var request in finished)
                {
                    request.Complete();
                }
            }
            catch (Exception e)
            {
                // A failed step fails the requests in it; later requests start on a fresh cache.
                cache?.Dispose();
                cache = null;
                foreach (var request in rows.Concat(admitted).Distinct())
                {
                    request.Fail(e);
                }

                rows.Clear();
            }
        }
    }

    private void Exit(BatchedKvCache? cache, List<Request> rows)
    {
        var exiting = new InvalidOperationException("Generation stopped: the process is exiting.");
        lock (_lock)
        {
            rows.AddRange(_waiting);
            _waiting.Clear();
            _running = false;
        }

        foreach (var request in rows)
        {
            request.Fail(exiting);
        }

        cache?.Dispose();
    }

    // A busy period starts with the usual thread count: the weight copies take their thread count
    // from it, and packing them is a large copy.
    private BatchedKvCache StartBusyPeriod(BatchedKvCache? kept)
    {
        _model.eval();
        OpenMpThreads.TrySet(_threads);
        try
        {
            if (kept is not null && (kept.Device.type != _model.Device.type || kept.Device.index != _model.Device.index || kept.DType != _model.DType))
            {
                // The model moved or changed precision since: nothing kept fits it.
                kept.Dispose();
                kept = null;
            }

            if (kept is null)
            {
                Interlocked.Increment(ref _cachesMade);
                return _model.CreateBatchedCache(_maxBatchSize, _decodeLayout);
            }

            kept.DecodeWeights?.Refresh();
            return kept;
        }
        finally
        {
            OpenMpThreads.TrySet(1);
        }
    }

    // Every prompt token but the last goes into the row's cache; the last is the row's input in the
    // next batched step, which gives its logits (what a lone prefill's last position would give).
    private void Prefill(BatchedKvCache cache, Request request)
    {
        var start = Stopwatch.GetTimestamp();
        OpenMpThreads.TrySet(_threads);
        try
        {
            PrefillRow(cache, request);
        }
        finally
        {
            OpenMpThreads.TrySet(1);
        }

        Interlocked.Add(ref _prefillTicks, Stopwatch.GetTimestamp() - start);
    }

    private void PrefillRow(BatchedKvCache cache, Request request)
    {
        cache.ResetRow(request.Row);
        using var rowCache = cache.Row(request.Row);
        if (request.Tokens.Count > 1)
        {
            using var scope = NewDisposeScope();
            var ids = request.Tokens.Take(request.Tokens.Count - 1).Select(t => (long)t).ToArray();
            _model.Prefill(tensor(ids, [1, ids.Length], device: _model.Device), rowCache);
        }

        cache.CompletePrefill(request.Row, rowCache);
        request.NeedsPrefill = false;
    }

    private void Step(BatchedKvCache cache, List<Request> rows)
    {
        using var scope = NewDisposeScope();
        var start = Stopwatch.GetTimestamp();
        var inputs = rows.Select(r => (long)r.Tokens[^1]).ToArray();
        var logits = _model.DecodeStep(tensor(inputs, [inputs.Length, 1], device: _model.Device), cache);
        Interlocked.Increment(ref _steps);
        Volatile.Write(ref _largestBatch, Math.Max(_largestBatch, rows.Count));
        var forwarded = Stopwatch.GetTimestamp();
        var chosen = Sampler.SampleRows(logits.squeeze(1), [.. rows.Select(r => r.Sampler)], [.. rows.Select(r => r.History)]);
        var sampled = Stopwatch.GetTimestamp();
        for (var row = 0; row < rows.Count; row++)
        {
            rows[row].Accept(chosen[row]);
        }

        Interlocked.Add(ref _forwardTicks, forwarded - start);
        Interlocked.Add(ref _sampleTicks, sampled - forwarded);
        Interlocked.Add(ref _handOffTicks, Stopwatch.GetTimestamp() - sampled);
    }

    // Drops finished rows; the cache moves its last row into each freed index, and so does the list.
    private static List<Request> Remove(BatchedKvCache cache, List<Request> rows)
    {
        var finished = new List<Request>();
        for (var row = rows.Count - 1; row >= 0; row--)
        {
            if (!rows[row].Done && !rows[row].Left)
            {
                continue;
            }

            finished.Add(rows[row]);
            cache.RemoveRow(row);
            rows[row] = rows[^1];
            rows[row].Row = row;
            rows.RemoveAt(rows.Count - 1);
        }

        return finished;
    }

    /// <summary>One generation in the batch: its tokens, sampler and stops, and the channel its caller reads.</summary>
    internal sealed class Request : IDisposable
    {
        private readonly Channel<int> _output = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        private readonly GenerationOptions _options;
        private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly HashSet<int> _stops;
        private readonly List<int> _history;
        private readonly int _contextLength;
        private readonly CancellationToken _cancellationToken;
        private int _emitted;
        private volatile bool _abandoned;

        public Request(List<int> context, GenerationOptions options, int contextLength, CancellationToken cancellationToken)
        {
            (Tokens, _options, _contextLength, _cancellationToken) = (context, options, contextLength, cancellationToken);
            Sampler = new Sampler(options.Sampling);
            _stops = [.. options.StopTokenIds];
            _history = [.. context];
        }

        /// <summary>Chooses this request's tokens, from its own seed.</summary>
        public Sampler Sampler { get; }

        /// <summary>Every token so far, for the repetition penalty.</summary>
        public IReadOnlyCollection<int> History => _history;

        /// <summary>The tokens the model sees: the prompt (cut to the context), then each generated token.</summary>
        public List<int> Tokens { get; }

        /// <summary>The row in the batch cache.</summary>
        public int Row { get; set; }

        /// <summary>The tokens outgrew the context (<see cref="ContextOverflow.KeepLastTokens"/>): they were cut and the row must be filled again.</summary>
        public bool NeedsPrefill { get; set; }

        /// <summary>A stop token was drawn or the limit reached.</summary>
        public bool Done { get; private set; }

        /// <summary>The caller cancelled or stopped reading.</summary>
        public bool Left => _abandoned || _cancellationToken.IsCancellationRequested;

        public ChannelReader<int> Reader => _output.Reader;

        /// <summary>Completes when the last token (or the failure) is in <see cref="Reader"/>.</summary>
        public Task Finished => _finished.Task;

        /// <summary>Takes the token its sampler chose: a stop, or the next output.</summary>
        public void Accept(int next)
        {
            if (_stops.Contains(next))
            {
                Done = true;
                return;
            }

            _output.Writer.TryWrite(next);
            _history.Add(next);
            Tokens.Add(next);
            if (++_emitted == _options.MaxNewTokens)
            {
                Done = true;
            }
            else if (Tokens.Count > _contextLength)
            {
                // Only reachable with KeepLastTokens: keep the most recent three quarters of the
                // context and prefill them again, leaving room to continue.
                Tokens.RemoveRange(0, Tokens.Count - (_contextLength * 3 / 4));
                NeedsPrefill = true;
            }
        }

        public void Complete()
        {
            if (_cancellationToken.IsCancellationRequested && !Done)
            {
                _output.Writer.TryComplete(new OperationCanceledException(_cancellationToken));
            }
            else
            {
                _output.Writer.TryComplete();
            }

            _finished.TrySetResult();
        }

        public void Fail(Exception exception)
        {
            _output.Writer.TryComplete(exception);
            _finished.TrySetResult();
        }

        /// <summary>The caller stopped reading: the row leaves the batch at the next step.</summary>
        public void Dispose() => _abandoned = true;
    }
}
