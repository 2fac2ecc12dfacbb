using static TorchSharp.torch;

namespace TinyGpt.Modeling;

/// <summary>
/// The keys and values one layer attends to after a cache write (views the caller disposes), and
/// how the new queries see them: <see cref="Mask"/> (true = visible, owned by the cache) when rows
/// or positions differ, else causal or unmasked.
/// </summary>
internal readonly record struct CachedAttention(Tensor Keys, Tensor Values, Tensor? Mask, bool IsCausal);
