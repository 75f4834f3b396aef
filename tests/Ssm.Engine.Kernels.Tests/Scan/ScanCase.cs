using FsCheck;
using FsCheck.Fluent;
using Ssm.Engine.Kernels.Scan;

namespace Ssm.Engine.Kernels.Tests.Scan;

/// <summary>A random selective-scan problem: sizes, flags and a data seed (FsCheck shows it on failure).</summary>
public sealed record ScanCase(int Batch, int Dim, int Length, int State, int Groups, bool VariableB, bool VariableC,
    bool HasD, bool HasZ, bool HasBias, bool Softplus, bool HasH0, bool Reverse, int Seed)
{
    public SelectiveScanShape Shape => new(Batch, Dim, Length, State, Groups, VariableB, VariableC);

    public SelectiveScanOptions Options(int threads = 0) => new(Softplus, Reverse, threads);

    /// <summary>Inputs in float64 (values are float32-representable so both paths see the same data).</summary>
    public SelectiveScanInputs<double> Inputs()
    {
        var rng = new Random(Seed);
        var s = Shape;
        int bdl = Batch * Dim * Length, bdn = Batch * Dim * State;
        return new SelectiveScanInputs<double>
        {
            U = Fill(rng, bdl, -1, 1),
            Delta = Softplus ? Fill(rng, bdl, -2, 0.5) : Fill(rng, bdl, 0.02, 0.6),
            A = Fill(rng, Dim * State, -2, -0.2),
            B = Fill(rng, (int)s.BLength, -1, 1),
            C = Fill(rng, (int)s.CLength, -1, 1),
            D = HasD ? Fill(rng, Dim, -1, 1) : null,
            Z = HasZ ? Fill(rng, bdl, -2, 2) : null,
            DeltaBias = HasBias ? Fill(rng, Dim, -0.5, 0.3) : null,
            H0 = HasH0 ? Fill(rng, bdn, -1, 1) : null,
        };
    }

    /// <summary>Cotangents for y and last_state.</summary>
    public (double[] Dy, double[] DLast) Cotangents()
    {
        var rng = new Random(Seed + 7919);
        return (Fill(rng, Batch * Dim * Length, -1, 1), Fill(rng, Batch * Dim * State, -1, 1));
    }

    public static double[] Fill(Random rng, int n, double lo, double hi)
    {
        var a = new double[n];
        for (int i = 0; i < n; i++) a[i] = (float)(lo + (hi - lo) * rng.NextDouble());
        return a;
    }
}

/// <summary>FsCheck generators for <see cref="ScanCase"/>: sizes that are not multiples of the vector width,
/// G ∈ {1, 2, D}, batch up to 4, L down to 1.</summary>
public static class ScanArbitraries
{
    public static Arbitrary<ScanCase> ScanCase() => Arb.From(
        from batch in Gen.Choose(1, 4)
        from dim in Gen.Choose(1, 7)
        from len in Gen.Frequency((1, Gen.Constant(1)), (4, Gen.Choose(2, 23)))
        from state in Gen.Elements(1, 3, 5, 8, 9, 13, 16, 17)
        from groups in Gen.Elements(dim % 2 == 0 ? new[] { 1, 2, dim } : new[] { 1, dim })
        from flags in Gen.Choose(0, (1 << 9) - 1)
        from seed in Gen.Choose(0, 1_000_000)
        select new ScanCase(batch, dim, len, state, groups, (flags & 1) == 0, (flags & 2) == 0,
            (flags & 4) != 0, (flags & 8) != 0, (flags & 16) != 0, (flags & 32) != 0, (flags & 64) != 0,
            (flags & 128) != 0, seed));
}

/// <summary>Cases where rows share B and C (both per token) and D ≥ 4, so the 512-bit backward runs groups of four
/// rows (a partial group and rows of different groups G run one at a time).</summary>
public static class GroupedScanArbitraries
{
    public static Arbitrary<ScanCase> ScanCase() => Arb.From(
        from batch in Gen.Choose(1, 3)
        from dim in Gen.Choose(4, 13)
        from len in Gen.Frequency((1, Gen.Constant(1)), (4, Gen.Choose(2, 23)))
        from state in Gen.Elements(1, 5, 8, 13, 16)
        from groups in Gen.Elements(dim % 2 == 0 ? new[] { 1, 2 } : new[] { 1 })
        from flags in Gen.Choose(0, (1 << 7) - 1)
        from seed in Gen.Choose(0, 1_000_000)
        select new ScanCase(batch, dim, len, state, groups, true, true, (flags & 1) != 0, (flags & 2) != 0,
            (flags & 4) != 0, (flags & 8) != 0, (flags & 16) != 0, (flags & 32) != 0, seed));
}
