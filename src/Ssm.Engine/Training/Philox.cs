namespace Ssm.Engine.Training;

/// <summary>The Philox4x32-10 block function (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
/// SC 2011; the Random123 reference): a 128-bit counter and a 64-bit key map to four 32-bit words.</summary>
public static class Philox
{
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private const uint W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>Number of rounds (10, the variant with the published known-answer vectors).</summary>
    public const int Rounds = 10;

    /// <summary>Encrypts counter (c0..c3) under key (k0, k1) and returns the four output words.</summary>
    public static (uint X0, uint X1, uint X2, uint X3) Block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int r = 0; r < Rounds; r++)
        {
            if (r > 0)
            {
                k0 += W0;
                k1 += W1;
            }
            ulong p0 = (ulong)M0 * c0, p1 = (ulong)M1 * c2;
            uint hi0 = (uint)(p0 >> 32), lo0 = (uint)p0, hi1 = (uint)(p1 >> 32), lo1 = (uint)p1;
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0);
        }
        return (c0, c1, c2, c3);
    }
}

/// <summary>The complete, serialisable position of a <see cref="PhiloxRandom"/>: key, 128-bit block counter and
/// how many of the current block's four words were consumed.</summary>
public readonly record struct PhiloxState(uint Key0, uint Key1, uint Counter0, uint Counter1, uint Counter2,
    uint Counter3, int Used)
{
    /// <summary>The state as seven integers (key0, key1, counter0..3, used), the checkpoint layout.</summary>
    public long[] ToArray() => [Key0, Key1, Counter0, Counter1, Counter2, Counter3, Used];

    /// <summary>Rebuilds a state from <see cref="ToArray"/>'s layout; validates ranges.</summary>
    public static PhiloxState FromArray(ReadOnlySpan<long> v)
    {
        if (v.Length != 7) throw new ArgumentException($"[philox] state needs 7 values, got {v.Length}");
        for (int i = 0; i < 6; i++)
            if (v[i] < 0 || v[i] > uint.MaxValue)
                throw new ArgumentException($"[philox] state word {i} = {v[i]} is not a 32-bit unsigned value");
        if (v[6] is < 0 or > 4) throw new ArgumentException($"[philox] used-word count {v[6]} not in [0, 4]");
        return new((uint)v[0], (uint)v[1], (uint)v[2], (uint)v[3], (uint)v[4], (uint)v[5], (int)v[6]);
    }
}
