using TinyGpt.Torch;
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
        _keys = [];
        _values = [];
    }

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

        if (Count == _allocated)
        {
            Grow(Math.Min(Capacity, Math.Max(1, _allocated * 2)));
        }

        _lengths[Count] = 0;
        return Count++;
    }

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
        if (step.Mask is null)
        {
            // Every row at the same length: one slot for all, and no mask (as a lone sequence).
            using var keySlots = keyRows.narrow(2, step.Longest, 1);
            using var valueSlots = valueRows.narrow(2, step.Longest, 1);
            keySlots.copy_(keys);
            valueSlots.copy_(values);
        }
        else
        {
            keyRows.scatter_(2, step.WriteIndex!, keys);
            valueRows.scatter_(2, step.WriteIndex!, values);
        }

        return new CachedAttention(keyRows.narrow(2, 0, step.Longest + 1), valueRows.narrow(2, 0, step.Longest + 1), step.Mask, IsCausal: false);
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
        for (var layer = 0; layer < _config.LayerCount; layer++)
        {
            keys[layer] = zeros(shape, _dtype, _device).DetachFromDisposeScope();
            values[layer] = zeros(shape, _dtype, _device).DetachFromDisposeScope();
            if (Count > 0)
            {
                keys[layer].narrow(0, 0, Count).copy_(_keys[layer].narrow(0, 0, Count));
                values[layer].narrow(0, 0, Count).copy_(_values[layer].narrow(0, 0, Count));
            }
        }

        foreach (var t in _keys.Concat(_values))
        {
            t.Dispose();
        }

        (_keys, _values, _allocated) = (keys, values, rows);
    }

    /// <summary>The tensors one decode step shares across layers: positions, and for rows of different lengths the write index and the mask.</summary>
    private sealed class StepTensors : IDisposable
    {
        public StepTensors(ReadOnlySpan<int> lengths, GptConfig config, Device device)
        {
            using var scope = NewDisposeScope();
            var rows = lengths.Length;
            var positions = new long[rows];
            for (var row = 0; row < rows; row++)
            {
                positions[row] = lengths[row];
            }

            Longest = (int)positions.Max();
            Positions = tensor(positions, [rows, 1], device: device).DetachFromDisposeScope();
            if (positions.Any(p => p != Longest))
            {
                // Row r writes its new key at slot lengths[r] and sees slots 0..lengths[r]; the
                // slots past that (stale or empty) are masked out.
                WriteIndex = Positions.view(rows, 1, 1, 1).expand(rows, config.HeadCount, 1, config.HeadSize).contiguous().DetachFromDisposeScope();
                using var slots = OwnedScalars.Arange(0, Longest + 1, device);
                Mask = slots.view(1, 1, 1, Longest + 1).le(Positions.view(rows, 1, 1, 1)).DetachFromDisposeScope();
            }
        }

        public Tensor Positions { get; }

        public int Longest { get; }

        public Tensor? WriteIndex { get; }

        public Tensor? Mask { get; }

        public void Dispose()
        {
            Positions.Dispose();
            WriteIndex?.Dispose();
            Mask?.Dispose();
        }
    }
}
