namespace GridTrain.Training.Data;

/// <summary>
/// SplitMix64 (Steele, Lea, Flood 2014): a small generator whose output is fixed by its seed on every platform and
/// .NET version, unlike <see cref="Random"/>.
/// </summary>
internal struct SplitMix64
{
    private ulong _state;

    public SplitMix64(ulong seed)
    {
        _state = seed;
    }

    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A value in [0, <paramref name="bound"/>) (multiply-high; bias below 2^-32 for any int bound).</summary>
    public int NextBelow(int bound) => (int)Math.BigMul(Next(), (ulong)bound, out _);
}
