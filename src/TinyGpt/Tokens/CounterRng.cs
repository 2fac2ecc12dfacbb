namespace TinyGpt.Tokens;

/// <summary>
/// A counter-based random source: every draw is a pure function of (seed, keys), so a sampler's
/// position is just numbers and any batch can be recomputed without replaying earlier ones.
/// Uses SplitMix64 mixing, which is stable across .NET versions (unlike <see cref="Random"/>'s seeding).
/// </summary>
internal struct CounterRng
{
    private ulong _state;

    internal CounterRng(ulong seed, params ReadOnlySpan<ulong> keys)
    {
        var state = Mix(seed);
        foreach (var key in keys)
        {
            state = Mix(state ^ key);
        }

        _state = state;
    }

    internal ulong Next()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>A uniform value in [0, bound), without modulo bias (Lemire's multiply-and-reject).</summary>
    internal ulong NextBelow(ulong bound)
    {
        while (true)
        {
            var high = Math.BigMul(Next(), bound, out var low);
            if (low >= bound || low >= (0UL - bound) % bound)
            {
                return high;
            }
        }
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
