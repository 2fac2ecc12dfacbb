using TinyGpt.Torch;
using TinyGpt.Validation;
using static TorchSharp.torch;

namespace TinyGpt.Modeling;

/// <summary>
/// Keys and values of every layer for the tokens seen so far, preallocated for the whole context
/// so that decoding writes one slot per token instead of concatenating tensors. Prefill of any
/// number of tokens and single-token decode share the same cache.
/// </summary>
/// <remarks>A cache belongs to one sequence batch at a time and is not thread-safe.</remarks>
public sealed class KvCache : IDisposable, IKeyValueCache
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;
    private readonly bool _ownsDecodeWeights = true;
    private Tensor? _offsetMask;
    private bool _disposed;

    /// <summary>Allocates an empty cache for <paramref name="config"/> and <paramref name="batchSize"/> sequences.</summary>
    /// <param name="config">The model's configuration.</param>
    /// <param name="batchSize">Number of sequences decoded together.</param>
    /// <param name="device">Device of the model; the CPU when null.</param>
    /// <param name="dtype">Element type of the model's activations.</param>
    public KvCache(GptConfig config, int batchSize = 1, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.EnsureValid();
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        Config = config;
        BatchSize = batchSize;
        _keys = new Tensor[config.LayerCount];
        _values = new Tensor[config.LayerCount];
        long[] shape = [batchSize, config.HeadCount, config.ContextLength, config.HeadSize];
        for (var layer = 0; layer < config.LayerCount; layer++)
        {
            // Owned by the cache, not by whatever dispose scope the caller happens to be in.
            _keys[layer] = zeros(shape, dtype, device).DetachFromDisposeScope();
            _values[layer] = zeros(shape, dtype, device).DetachFromDisposeScope();
        }
    }

    /// <summary>
    /// A cache over one row of a <see cref="BatchedKvCache"/>'s storage (views it owns; the storage
    /// and the shared weight layout stay the batch's), so a prompt is prefilled into its row by the
    /// same code as a lone sequence.
    /// </summary>
    internal KvCache(GptConfig config, Tensor[] keys, Tensor[] values, DecodeWeights? shared)
    {
        Config = config;
        BatchSize = 1;
        (_keys, _values) = (keys, values);
        DecodeWeights = shared;
        _ownsDecodeWeights = false;
    }

    /// <summary>The configuration the cache was sized for.</summary>
    public GptConfig Config { get; }

    /// <summary>Number of sequences in the cache.</summary>
    public int BatchSize { get; }

    /// <summary>Number of positions already written (the position of the next token).</summary>
    public int Length { get; private set; }

    /// <summary>Positions still free before the context is full.</summary>
    public int Remaining => Config.ContextLength - Length;

    /// <summary>The generation-time weight layout this cache's owner made for it, freed with the cache; null computes with the module weights.</summary>
    internal DecodeWeights? DecodeWeights { get; init; }

    DecodeWeights? IKeyValueCache.DecodeWeights => DecodeWeights;

    /// <summary>Forgets every position so the cache can be reused for a new sequence.</summary>
    public void Reset() => Length = 0;

    void IKeyValueCache.EnsureRoom(long time, int contextLength)
    {
        if (Length + time > contextLength)
        {
            throw new ArgumentException(
                $"The sequence would reach position {Length + time} but the model's context length is {contextLength} " +
                $"({Length} cached + {time} new tokens). Shorten the input, or let the generator keep only the last tokens.",
                "tokens");
        }
    }

    Tensor IKeyValueCache.Positions(long time, Device device) => OwnedScalars.Arange(Length, Length + time, device);

    /// <summary>
    /// Writes the keys and values of the new positions of one layer at the current length and
    /// returns views of all keys and values up to and including them.
    /// </summary>
    CachedAttention IKeyValueCache.Append(int layer, Tensor keys, Tensor values)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var count = keys.shape[2];
        if (Length + count > Config.ContextLength)
        {
            throw new InvalidOperationException($"The KV cache holds {Length} of {Config.ContextLength} positions and cannot take {count} more.");
        }

        using (var keySlots = _keys[layer].narrow(2, Length, count))
        using (var valueSlots = _values[layer].narrow(2, Length, count))
        {
            keySlots.copy_(keys);
            valueSlots.copy_(values);
        }

        var all = (_keys[layer].narrow(2, 0, Length + count), _values[layer].narrow(2, 0, Length + count));
        if (Length == 0 || count == 1)
        {
            // Nothing cached before: the usual lower-triangular mask, which SDPA builds itself. One
            // new token sees every cached position and itself: no mask at all.
            return new CachedAttention(all.Item1, all.Item2, null, IsCausal: Length == 0 && count > 1);
        }

        // Chunked prefill onto a non-empty cache. SDPA's own causal mask is aligned to the top left,
        // which would hide cached positions from the new ones (the original project's bug), so the
        // mask carries the offset: query i (position Length+i) sees key j <= Length+i. Every layer
        // uses the same mask; Advance frees it.
        _offsetMask ??= OffsetMask(Length, count, keys.device);
        return new CachedAttention(all.Item1, all.Item2, _offsetMask, IsCausal: false);
    }

    // A lone sequence's steps go through SDPA; batched decoding (BatchedKvCache) attends by hand.
    Tensor? IKeyValueCache.AttendOneToken(int layer, Tensor qkv, double scale) => null;

    /// <summary>Moves the length forward once every layer has appended the same new positions.</summary>
    void IKeyValueCache.Advance(int time)
    {
        Length += time;
        _offsetMask?.Dispose();
        _offsetMask = null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var t in _keys.Concat(_values))
        {
            t.Dispose();
        }

        _offsetMask?.Dispose();
        if (_ownsDecodeWeights)
        {
            DecodeWeights?.Dispose();
        }
    }

    private static Tensor OffsetMask(long offset, long count, Device device)
    {
        using var queryRange = OwnedScalars.Arange(offset, offset + count, device);
        using var keyRange = OwnedScalars.Arange(0, offset + count, device);
        using var queryPositions = queryRange.unsqueeze(1);
        using var keyPositions = keyRange.unsqueeze(0);
        return keyPositions.le(queryPositions).DetachFromDisposeScope();
    }
}
