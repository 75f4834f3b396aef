namespace Ssm.Engine.Training;

/// <summary>A counter-based random stream over <see cref="Philox"/>: the seed is the key, the stream id fills the
/// upper half of the counter, and the lower half counts blocks. The same seed and stream give the same values
/// bit for bit on every run, and <see cref="State"/> / <see cref="Restore"/> continue a stream exactly.
/// Used for initialisation, dropout and synthetic data.</summary>
/// <example><code>
/// var rng = new PhiloxRandom(seed: 1234, stream: PhiloxRandom.Streams.Init);
/// var w = rng.Normal([64, 32], std: 0.02);     // float32 (64, 32)
/// var saved = rng.State;                        // ... later: rng.Restore(saved)
/// </code></example>
public sealed partial class PhiloxRandom
{
    /// <summary>Conventional stream ids so that independent uses of one seed never overlap.</summary>
    public static class Streams
    {
        /// <summary>Parameter initialisation.</summary>
        public const ulong Init = 0;
        /// <summary>Dropout masks.</summary>
        public const ulong Dropout = 1;
        /// <summary>Training data generation and shuffling.</summary>
        public const ulong Data = 2;
        /// <summary>Evaluation data.</summary>
        public const ulong Eval = 3;
    }

    private uint _k0, _k1, _c0, _c1, _c2, _c3;
    private int _used;
    private uint _x0, _x1, _x2, _x3;

    /// <summary>A stream keyed by <paramref name="seed"/>; <paramref name="stream"/> selects an independent
    /// sub-stream (upper 64 counter bits).</summary>
    public PhiloxRandom(ulong seed, ulong stream = 0)
    {
        Restore(new PhiloxState((uint)seed, (uint)(seed >> 32), 0, 0, (uint)stream, (uint)(stream >> 32), 0));
    }

    /// <summary>A stream positioned at <paramref name="state"/>.</summary>
    public PhiloxRandom(PhiloxState state) => Restore(state);

    /// <summary>The current position (copy); pass to <see cref="Restore"/> to continue from here.</summary>
    public PhiloxState State => new(_k0, _k1, _c0, _c1, _c2, _c3, _used);

    /// <summary>Moves the stream to <paramref name="state"/>.</summary>
    public void Restore(PhiloxState state)
    {
        if (state.Used is < 0 or > 4)
            throw new ArgumentException($"[philox] used-word count {state.Used} not in [0, 4]");
        (_k0, _k1, _c0, _c1, _c2, _c3, _used) =
            (state.Key0, state.Key1, state.Counter0, state.Counter1, state.Counter2, state.Counter3, state.Used);
        (_x0, _x1, _x2, _x3) = Philox.Block(_c0, _c1, _c2, _c3, _k0, _k1);
    }

    /// <summary>The next 32 random bits.</summary>
    public uint NextUInt32()
    {
        if (_used == 4)
        {
            // 128-bit increment of the block counter.
            if (++_c0 == 0 && ++_c1 == 0 && ++_c2 == 0) ++_c3;
            (_x0, _x1, _x2, _x3) = Philox.Block(_c0, _c1, _c2, _c3, _k0, _k1);
            _used = 0;
        }
        return _used++ switch { 0 => _x0, 1 => _x1, 2 => _x2, _ => _x3 };
    }

    /// <summary>The next 64 random bits (two words, low word first).</summary>
    public ulong NextUInt64()
    {
        ulong lo = NextUInt32();
        return lo | ((ulong)NextUInt32() << 32);
    }

    /// <summary>A float32 uniform in [0, 1) with 24 random bits.</summary>
    public float NextFloat() => (NextUInt32() >> 8) * (1.0f / (1 << 24));

    /// <summary>A float64 uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public double NextUniform(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>A pair of independent standard normals (Box–Muller over two <see cref="NextDouble"/> draws).
    /// Integer and uniform draws are exact on every platform; normals go through Math.Log/Sqrt/Cos/Sin and are
    /// bit-identical for a given runtime and CPU architecture.</summary>
    public (double Z0, double Z1) NextNormalPair()
    {
        double u1 = 1.0 - NextDouble(); // (0, 1]: log is finite
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        double a = 2.0 * Math.PI * u2;
        return (r * Math.Cos(a), r * Math.Sin(a));
    }

    /// <summary>One standard normal (the first of a Box–Muller pair; the second is discarded so that the state
    /// stays the seven words of <see cref="PhiloxState"/>).</summary>
    public double NextNormal() => NextNormalPair().Z0;

    /// <summary>A normal with the given mean and standard deviation.</summary>
    public double NextNormal(double mean, double std) => mean + std * NextNormal();

    /// <summary>A uniform integer in [<paramref name="low"/>, <paramref name="high"/>), without modulo bias
    /// (Lemire's multiply-and-reject).</summary>
    public int NextInt(int low, int high)
    {
        if (high <= low) throw new ArgumentException($"[philox] empty integer range [{low}, {high})");
        uint range = (uint)((long)high - low);
        ulong m = (ulong)NextUInt32() * range;
        uint l = (uint)m;
        if (l < range)
        {
            uint threshold = (0u - range) % range;
            while (l < threshold)
            {
                m = (ulong)NextUInt32() * range;
                l = (uint)m;
            }
        }
        return (int)(low + (long)(m >> 32));
    }

    /// <summary>A uniform integer in [0, <paramref name="high"/>).</summary>
    public int NextInt(int high) => NextInt(0, high);

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates, from the end).</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(0, i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A uniformly random permutation of 0..n-1.</summary>
    public int[] Permutation(int n)
    {
        if (n < 0) throw new ArgumentException($"[philox] permutation size {n} is negative");
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        Shuffle(p.AsSpan());
        return p;
    }

    /// <summary>A non-negative 31-bit seed for APIs that take an <c>int</c> seed.</summary>
    public int NextSeed() => (int)(NextUInt32() >> 1);
}
