using FsCheck;
using FsCheck.Fluent;
using FG = FsCheck.Fluent.Gen;
using Ssm.Engine.Kernels.Ssd;

namespace Ssm.Engine.Kernels.Tests.Ssd;

/// <summary>A random SSD problem: sizes, option flags and a data seed (arrays come from System.Random(Seed)).
/// Sizes deliberately include values that are not multiples of the vector width.</summary>
public sealed record SsdSpec(int B, int L, int H, int G, int P, int N, int Chunk, int DMode, bool Z, bool Bias,
    bool Softplus, bool Limit, bool Init, bool Strong, int Seed)
{
    public SsdShape Shape => new(B, L, H, P, G, N);

    public override string ToString() =>
        $"B={B} L={L} H={H} G={G} P={P} N={N} Q={Chunk} D={DMode} z={Z} bias={Bias} sp={Softplus} lim={Limit} " +
        $"init={Init} strong={Strong} seed={Seed}";

    public SsdOptions Options(SsdAlgorithm alg) => new()
    {
        DtSoftplus = Softplus, DtMin = Limit ? 0.05f : 0f, DtMax = Limit ? 0.6f : float.PositiveInfinity,
        ChunkSize = Chunk, Algorithm = alg,
    };

    public SsdInputs<double> InputsDouble()
    {
        var rng = new Random(Seed);
        var s = Shape;
        double[] F(int n, double lo, double hi)
        {
            var a = new double[n];
            for (int i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.NextDouble();
            return a;
        }
        // Raw dt: softplus maps [-3, 1] to [0.05, 1.3]; without softplus dt is used as is, so keep it positive.
        var dt = Softplus ? F(s.DtLength, -3, 1) : F(s.DtLength, 0.02, 0.9);
        var a = Strong ? F(s.H, -80, -20) : F(s.H, -2, -0.1);
        return new SsdInputs<double>
        {
            X = F(s.XLength, -1, 1), Dt = dt, A = a, B = F(s.BcLength, -1, 1), C = F(s.BcLength, -1, 1),
            D = DMode == 0 ? null : DMode == 1 ? F(s.H, -1, 1) : F(s.H * s.P, -1, 1),
            Z = Z ? F(s.XLength, -2, 2) : null, DtBias = Bias ? F(s.H, -0.5, 0.5) : null,
            InitialStates = Init ? F(s.StateLength, -1, 1) : null,
        };
    }

    public SsdInputs<float> Inputs() => Narrow(InputsDouble());

    public (float[] Dy, float[] DFinal) Cotangents()
    {
        var rng = new Random(Seed + 1);
        float[] F(int n)
        {
            var a = new float[n];
            for (int i = 0; i < n; i++) a[i] = rng.NextSingle() * 2 - 1;
            return a;
        }
        return (F(Shape.XLength), F(Shape.StateLength));
    }

    public static float[] Narrow(double[] a) => Array.ConvertAll(a, v => (float)v);

    public static SsdInputs<float> Narrow(SsdInputs<double> x) => new()
    {
        X = Narrow(x.X), Dt = Narrow(x.Dt), A = Narrow(x.A), B = Narrow(x.B), C = Narrow(x.C),
        D = x.D is null ? null : Narrow(x.D), Z = x.Z is null ? null : Narrow(x.Z),
        DtBias = x.DtBias is null ? null : Narrow(x.DtBias),
        InitialStates = x.InitialStates is null ? null : Narrow(x.InitialStates),
    };

    /// <summary>Sizes up to B 4, L 40, H 6, P 11, N 19 (P from <paramref name="minP"/>); G ∈ {1, 2, H}; any chunk
    /// 1..L+3.</summary>
    public static Gen<SsdSpec> Gen(int maxL = 40, int maxP = 11, int maxN = 19, int minP = 1, int nMultiple = 1,
        int pMultiple = 1) =>
        from b in FG.Choose(1, 4)
        from l in FG.Frequency((1, FG.Constant(1)), (6, FG.Choose(2, maxL)))
        from h in FG.Elements(1, 2, 4, 6)
        from gKind in FG.Choose(0, 2)
        from p in FG.Choose(Math.Max(1, minP / pMultiple), maxP / pMultiple).Select(k => k * pMultiple)
        from n in FG.Choose(1, maxN / nMultiple).Select(k => k * nMultiple)
        from q in FG.Choose(1, l + 3)
        from d in FG.Choose(0, 2)
        from flags in FG.Choose(0, 63)
        from strong in FG.Frequency((4, FG.Constant(false)), (1, FG.Constant(true)))
        from seed in FG.Choose(0, 1_000_000)
        let g = gKind == 0 ? 1 : gKind == 1 && h % 2 == 0 ? 2 : h
        select new SsdSpec(b, l, h, g, p, n, q, d, (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0,
            (flags & 8) != 0, (flags & 16) != 0, strong, seed);
}
