using TinyGpt.Validation;
using static TorchSharp.torch;

namespace TinyGpt.Modeling;

/// <summary>
/// Keys and values of every layer for the tokens seen so far, preallocated for the whole context
/// so that decoding writes one slot per token instead of concatenating tensors. Prefill of any
/// number of tokens and single-token decode share the same cache.
/// </summary>
/// <remarks>A cache belongs to one sequence batch at a time and is not thread-safe.</remarks>
public sealed class KvCache : IDisposable
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;
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

    /// <summary>The configuration the cache was sized for.</summary>
    public GptConfig Config { get; }

    /// <summary>Number of sequences in the cache.</summary>
    public int BatchSize { get; }

    /// <summary>Number of positions already written (the position of the next token).</summary>
    public int Length { get; private set; }

    /// <summary>Positions still free before the context is full.</summary>
    public int Remaining => Config.ContextLength - Length;

    /// <summary>Forgets every position so the cache can be reused for a new sequence.</summary>
    public void Reset() => Length = 0;

    /// <summary>
    /// Writes the keys and values of the new positions of one layer at the
    /// current length and returns views of all keys and values up to and including them.
    /// </summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var count = keys.shape[2];
        if (Length + count > Config.ContextLength)
        {
            throw new InvalidOperationException($"The KV cache holds {Length} of {Config.ContextLength} positions and cannot take {count} more.");
        }

        _keys[layer].narrow(2, Length, count).copy_(keys);
        _values[layer].narrow(2, Length, count).copy_(values);
        return (_keys[layer].narrow(2, 0, Length + count), _values[layer].narrow(2, 0, Length + count));
    }

    /// <summary>Moves the length forward once every layer has appended the same new positions.</summary>
    internal void Advance(int count) => Length += count;

    /// <summary>The generation-time weight layout this cache's owner made for it, freed with the cache; null computes with the module weights.</summary>
    internal DecodeWeights? DecodeWeights { get; init; }

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

        DecodeWeights?.Dispose();
    }
}
