using static TorchSharp.torch;

namespace TinyGpt.Modeling;

/// <summary>
/// What the model's forward pass needs from a cache of earlier keys and values: where the new
/// tokens sit, where their keys and values go, and which cached positions each new token may see.
/// <see cref="KvCache"/> holds sequences of one common length; <see cref="BatchedKvCache"/> holds
/// rows of different lengths, for batched and continuous-batching generation.
/// </summary>
internal interface IKeyValueCache
{
    /// <summary>Number of sequences the next forward pass carries.</summary>
    int BatchSize { get; }

    /// <summary>The generation-time weight layout, or null to compute with the module weights.</summary>
    DecodeWeights? DecodeWeights { get; }

    /// <summary>Checks that <paramref name="time"/> more positions fit; throws <see cref="ArgumentException"/> with the numbers when not.</summary>
    void EnsureRoom(long time, int contextLength);

    /// <summary>The positions of <paramref name="time"/> new tokens: [time] when every row shares them, else [batch, time].</summary>
    Tensor Positions(long time, Device device);

    /// <summary>Writes one layer's new keys and values ([batch, heads, time, head size]) and returns what attention reads; the cache keeps ownership of the mask.</summary>
    CachedAttention Append(int layer, Tensor keys, Tensor values);

    /// <summary>
    /// For one new token per row, when this cache can do it by hand (<see cref="DecodeAttention"/>):
    /// writes one layer's new keys and values from the fused projection <paramref name="qkv"/>
    /// [batch, 1, 3 x width] and returns the attention output [batch, 1, width], scores scaled by
    /// <paramref name="scale"/>. Null otherwise: then <see cref="Append"/> and SDPA do it.
    /// </summary>
    Tensor? AttendOneToken(int layer, Tensor qkv, double scale);

    /// <summary>Moves every row forward by <paramref name="time"/> positions once all layers have appended.</summary>
    void Advance(int time);
}
