using TinyGpt.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Modeling;

/// <summary>
/// Keys and values of several independent sequences (rows) of different lengths, for batched
/// generation and continuous batching: a prompt is prefilled into its own row (<see cref="Row"/>),
/// then one forward pass decodes one token for every row, each at its own position, seeing only its
/// own cached positions. Rows 0..<see cref="Count"/>-1 are the live ones: removing a row moves the
/// last row into its place, so a decode step always reads one contiguous block and a finished
/// sequence stops costing compute at once. Storage grows by doubling up to <see cref="Capacity"/>
/// rows, so a lone sequence does not pay for a full batch of context.
/// </summary>
/// <remarks>Not thread-safe: one decoding loop owns it.</remarks>
internal sealed class BatchedKvCache : IKeyValueCache, IDisposable
{
    private readonly GptConfig _config;
    private readonly Device _device;
    private readonly ScalarType _dtype;
    private readonly int[] _lengths;
    private readonly int _threads;
    private Tensor[] _keys;
    private Tensor[] _values;
    private int _allocated;
    private StepTensors? _step;
    private bool _disposed;

    public BatchedKvCache(GptConfig config, int capacity, Device device, ScalarType dtype, DecodeWeights? decodeWeights)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        (_config, _device, _dtype, Capacity, DecodeWeights) = (config, device, dtype, capacity, decodeWeights);
        _lengths = new int[capacity];
        // Made with the usual thread count (the decoding loop runs its own operators on one).
        _threads = get_num_threads();
        _keys = [];
        _values = [];
    }

    /// <summary>Where the keys and values live.</summary>
    public Device Device => _device;

    /// <summary>The keys' and values' element type.</summary>
    public ScalarType DType => _dtype;

    /// <summary>Most rows the cache can hold.</summary>
    public int Capacity { get; }

    /// <summary>Live rows: 0..Count-1.</summary>
    public int Count { get; private set; }

    public DecodeWeights? DecodeWeights { get; }

    int IKeyValueCache.BatchSize => Count;

    /// <summary>Positions written in <paramref name="row"/>.</summary>
    public int Length(int row) => _lengths[row];

    /// <summary>Adds an empty row at index <see cref="Count"/> and returns that index.</summary>
    public int AddRow()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Count == Capacity)
        {
            throw new InvalidOperationException($"The batch holds its capacity of {Capacity} rows.");
        }

        Reserve(Count + 1);
        _lengths[Count] = 0;
        return Count++;
    }

    /// <summary>
    /// Makes room for <paramref name="rows"/> live rows at once (at most <see cref="Capacity"/>), so a
    /// burst of requests admitted together grows the storage once: adding eight rows one by one
    /// made storage for 2, 4, then 8 rows, each in fresh memory whose every page faulted in (2026-12-07:
    /// 22-31 ms per row of the seed preset's cache on a VM where a page fault costs 11 microseconds).
    /// </summary>
    public void Reserve(int rows)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        rows = Math.Min(rows, Capacity);
        if (rows <= _allocated)
        {
            return;
        }

        var grown = Math.Max(1, _allocated);
        while (grown < rows)
        {
            grown *= 2;
        }

        Grow(Math.Min(Capacity, grown));
    }

    /// <summary>Times the storage was made or grown (for tests).</summary>
    internal int Grows { get; private set; }

    /// <summary>Removes <paramref name="row"/>; the last row moves into its index (the caller renumbers it).</summary>
    public void RemoveRow(int row)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Count);
        var last = Count - 1;
        if (row != last && _lengths[last] > 0)
        {
            using var scope = NewDisposeScope();
            for (var layer = 0; layer < _config.LayerCount; layer++)
            {
                foreach (var storage in new[] { _keys[layer], _values[layer] })
                {
                    storage.narrow(0, row, 1).narrow(2, 0, _lengths[last]).copy_(storage.narrow(0, last, 1).narrow(2, 0, _lengths[last]));
                }
            }
        }

        _lengths[row] = _lengths[last];
        Count--;
    }

    /// <summary>Forgets <paramref name="row"/>'s positions, to prefill it again.</summary>
    public void ResetRow(int row) => _lengths[row] = 0;

    /// <summary>
    /// A one-sequence cache over <paramref name="row"/>'s storage, empty, for prefilling a prompt;
    /// call <see cref="CompletePrefill"/> with it afterwards.
    /// </summary>
    public KvCache Row(int row)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Count);
        return new KvCache(_config, [.. _keys.Select(k => k.narrow(0, row, 1))], [.. _values.Select(v => v.narrow(0, row, 1))], DecodeWeights);
    }

    /// <summary>Records the positions <paramref name="prefilled"/> wrote into <paramref name="row"/>.</summary>
    public void CompletePrefill(int row, KvCache prefilled) => _lengths[row] = prefilled.Length;

    void IKeyValueCache.EnsureRoom(long time, int contextLength)
    {
        for (var row = 0; row < Count; row++)
        {
            if (_lengths[row] + time > contextLength)
            {
                throw new ArgumentException($"Row {row} holds {_lengths[row]} of {contextLength} positions and cannot take {time} more.", "tokens");
            }
        }
    }

    Tensor IKeyValueCache.Positions(long time, Device device)
    {
        if (time != 1)
        {
            throw new ArgumentException($"A batched cache decodes one token per row at a time (got {time}); prefill each row through Row().", nameof(time));
        }

        _step?.Dispose();
        _step = new StepTensors(_lengths.AsSpan(0, Count), _config, device);
        return _step.Positions.alias();
    }

    CachedAttention IKeyValueCache.Append(int layer, Tensor keys, Tensor values)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var step = _step ?? throw new InvalidOperationException("Positions() starts a decode step.");
        using var keyRows = _keys[layer].narrow(0, 0, Count);
        using var valueRows = _values[layer].narrow(0, 0, Count);
        if (!step.Uneven)
        {
            // Every row at the same length: one slot for all, and no mask (as a lone sequence).
            using var keySlots = keyRows.narrow(2, step.Longest, 1);
            using var valueSlots = valueRows.narrow(2, step.Longest, 1);
            keySlots.copy_(keys);
            valueSlots.copy_(values);
        }
        else
        {
            keyRows.scatter_(2, step.WriteIndex, keys);
            valueRows.scatter_(2, step.WriteIndex, values);
        }

        return new CachedAttention(keyRows.narrow(2, 0, step.Longest + 1), valueRows.narrow(2, 0, step.Longest + 1), step.Uneven ? step.Mask : null, IsCausal: false);
    }

    Tensor? IKeyValueCache.AttendOneToken(int layer, Tensor qkv, double scale)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return DecodeAttention.Supports(_keys[layer])
            ? DecodeAttention.Step(qkv, _keys[layer], _values[layer], _lengths.AsSpan(0, Count), _config.HeadCount, scale, _threads)
            : null;
    }

    void IKeyValueCache.Advance(int time)
    {
        for (var row = 0; row < Count; row++)
        {
            _lengths[row] += time;
        }

        _step?.Dispose();
        _step = null;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _step?.Dispose();
        foreach (var t in _keys.Concat(_values))
        {
            t.Dispose();
        }

        DecodeWeights?.Dispose();
    }

    private void Grow(int rows)
    {
        using var scope = NewDisposeScope();
        long[] shape = [rows, _config.HeadCount, _config.ContextLength, _config.HeadSize];
        var keys = new Tensor[_config.LayerCount];
        var values = new Tensor[_config.LayerCount];
        // Only the live rows' written slots move to the new storage.
        var written = 0;
        for (var row = 0; row < Count; row++)
        {
            written = Math.Max(written, _lengths[row]);
        }

        for (var layer = 0; layer < _config.LayerCount; layer++)
        {
            keys[layer] = NewStorage(shape).DetachFromDisposeScope();
            values[layer] = NewStorage(shape).DetachFromDisposeScope();
            if (written > 0)
            {
                keys[layer].narrow(0, 0, Count).narrow(2, 0, written).copy_(_keys[layer].narrow(0, 0, Count).narrow(2, 0, written));
                values[layer].narrow(0, 0, Count).narrow(2, 0, written).copy_(_values[layer].narrow(0, 0, Count).narrow(2, 0, written));
            }
        }

        foreach (var t in _keys.Concat(_values))
        {
            t.Dispose();
        }

        (_keys, _values, _allocated) = (keys, values, rows);
        Grows++;
    }

    // The attention written by hand (DecodeAttention) reads only the slots each row has written, so
    // its storage is left unwritten: a page is then faulted in when a position first lands on it,
    // spread over the steps and only for the slots used, instead of all at once in the step that
    // admits a burst (zeroing 8 rows of the seed preset's cache took 185-245 ms here, 2026-12-07).
    // Elsewhere SDPA reads every row up to the longest behind a mask, and a masked slot must not
    // hold a NaN (NaN x 0 is NaN), so that storage is zeroed.
    private Tensor NewStorage(long[] shape)
    {
        var storage = empty(shape, _dtype, _device);
        if (!DecodeAttention.Supports(storage))
        {
            storage.zero_();
        }

        return storage;
    }

    /// <summary>Fills every slot no row has written with NaN: a test that reads one sees it in the logits.</summary>
    internal void FillUnwrittenSlotsWithNaN()
    {
        using var nan = double.NaN.ToScalar();
        for (var layer = 0; layer < _config.LayerCount; layer++)
        {
            foreach (var storage in new[] { _keys[layer], _values[layer] })
            {
                for (var row = 0; row < _allocated; row++)
                {
                    var written = row < Count ? _lengths[row] : 0;
                    using var slots = storage.narrow(0, row, 1).narrow(2, written, _config.ContextLength - written);
                    slots.fill_(nan);
                }
            }
        }
    }

    /// <summary>
    /// The tensors one decode step shares across layers: positions, and for rows of different lengths
    /// the write index and the mask, made on first use (the attention written by hand needs neither).
    /// </summary>
    private sealed class StepTensors : IDisposable
    {
        private readonly GptConfig _config;
        private Tensor? _writeIndex;
        private Tensor? _mask;

        public StepTensors(ReadOnlySpan<int> lengths, GptConfig config, Device device)
        {
            _config = config;
            var positions = new long[lengths.Length];
            for (var row = 0; row < lengths.Length; row++)
            {
                positions[row] = lengths[row];
            }

            Longest = (int)positions.Max();
            Uneven = positions.Any(p => p != Longest);
            Positions = tensor(positions, [lengths.Length, 1], device: device).DetachFromDisposeScope();
        }

        public Tensor Positions { get; }

        public int Longest { get; }

        /// <summary>Whether the rows differ in length (then each writes at its own slot, behind a mask).</summary>
        public bool Uneven { get; }

        // Row r writes its new key at slot lengths[r] and sees slots 0..lengths[r]; the slots past
        // that (stale or empty) are masked out.
        public Tensor WriteIndex
        {
            get
            {
                if (_writeIndex is null)
                {
                    using var scope = NewDisposeScope();
                    var rows = Positions.shape[0];
                    _writeIndex = Positions.view(rows, 1, 1, 1).expand(rows, _config.HeadCount, 1, _config.HeadSize).contiguous().DetachFromDisposeScope();
                }

                return _writeIndex;
            }
        }

        public Tensor Mask
        {
            get
            {
                if (_mask is null)
                {
                    using var scope = NewDisposeScope();
                    using var slots = OwnedScalars.Arange(0, Longest + 1, Positions.device);
                    _mask = slots.view(1, 1, 1, Longest + 1).le(Positions.view(Positions.shape[0], 1, 1, 1)).DetachFromDisposeScope();
                }

                return _mask;
            }
        }

        public void Dispose()
        {
            Positions.Dispose();
            _writeIndex?.Dispose();
            _mask?.Dispose();
        }
    }
}
