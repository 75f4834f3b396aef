using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ssm.Engine.Kernels.Norm;
using static Ssm.Engine.Kernels.Tests.Conv1d.ConvTestData;

namespace Ssm.Engine.Kernels.Tests.Norm;

/// <summary>One random norm problem: C = G·groups with G straddling the SIMD width.</summary>
public sealed record NormCase(int Rows, int G, int Groups, bool Residual, bool Z, bool Bias, bool NormBeforeGate,
    bool WholeRow, int Seed)
{
    public int C => G * Groups;
    public RmsNormShape Shape => new(Rows, C, WholeRow ? 0 : G);
    public RmsNormOptions Options => new(1e-5, NormBeforeGate);
}

public class RmsNormPropertyTests
{
    private const string Seed = "(20261123,4441)";

    private static Arbitrary<NormCase> Cases() =>
        (from rows in Gen.Choose(1, 6)
         from g in Gen.Elements(1, 3, 7, 8, 9, 16, 17, 33)
         from groups in Gen.Choose(1, 3)
         from f in Gen.Choose(0, 31)
         from seed in Gen.Choose(0, 1 << 20)
         select new NormCase(rows, g, groups, (f & 1) != 0, (f & 2) != 0, (f & 4) != 0, (f & 8) != 0, (f & 16) != 0,
             seed)).ToArbitrary();

    [Property(Replay = Seed, MaxTest = 80)]
    public Property Cpu_MatchesReference_ForwardAndBackward() => Prop.ForAll(Cases(), c =>
    {
        var s = c.Shape;
        int n = c.Rows * c.C, seed = c.Seed * 17;
        float[] x = Rand(n, seed + 1), w = Rand(c.C, seed + 2), res = c.Residual ? Rand(n, seed + 3) : [];
        float[] z = c.Z ? Rand(n, seed + 4) : [], b = c.Bias ? Rand(c.C, seed + 5) : [];
        float[] dy = Rand(n, seed + 6), dro = c.Residual ? Rand(n, seed + 7) : [];
        float[] y0 = new float[n], y1 = new float[n], r0 = new float[res.Length], r1 = new float[res.Length];
        RmsNorm.Reference.Forward(s, x, res, z, w, b, y0, r0, c.Options);
        RmsNorm.Cpu.Forward(s, x, res, z, w, b, y1, r1, c.Options);
        Close(y0, y1, "y");
        Close(r0, r1, "residual_out", 0, 0);
        float[] gx0 = new float[n], gr0 = new float[res.Length], gz0 = new float[z.Length];
        float[] gw0 = new float[c.C], gb0 = new float[b.Length];
        float[] gx1 = new float[n], gr1 = new float[res.Length], gz1 = new float[z.Length];
        float[] gw1 = new float[c.C], gb1 = new float[b.Length];
        RmsNorm.Reference.Backward(s, x, res, z, w, b, dy, dro, gx0, gr0, gz0, gw0, gb0, c.Options);
        RmsNorm.Cpu.Backward(s, x, res, z, w, b, dy, dro, gx1, gr1, gz1, gw1, gb1, c.Options);
        Close(gx0, gx1, "dx", 1e-5, 2e-4);
        Close(gr0, gr1, "dresidual", 1e-5, 2e-4);
        Close(gz0, gz1, "dz", 1e-5, 2e-4);
        Close(gw0, gw1, "dweight", 1e-5, 2e-4);
        Close(gb0, gb1, "dbias", 1e-5, 2e-4);
    });

    [Fact]
    public void Cpu_IsDeterministic_AcrossThreadCounts()
    {
        var s = new RmsNormShape(512, 96, 32);
        float[] x = Rand(s.Rows * 96, 1), w = Rand(96, 2), z = Rand(s.Rows * 96, 3), dy = Rand(s.Rows * 96, 4);
        float[] gw1 = new float[96], gw2 = new float[96], dx = new float[x.Length], dz = new float[x.Length];
        RmsNorm.Cpu.Backward(s, x, [], z, w, [], dy, [], dx, [], dz, gw1, [], new RmsNormOptions(Threads: 2));
        RmsNorm.Cpu.Backward(s, x, [], z, w, [], dy, [], dx, [], dz, gw2, [], new RmsNormOptions(Threads: 2));
        Assert.Equal(gw1, gw2);
        RmsNorm.Cpu.Backward(s, x, [], z, w, [], dy, [], dx, [], dz, gw2, [], new RmsNormOptions(Threads: 1));
        Close(gw1, gw2, "dweight 1 vs 2 threads", 1e-5, 1e-5);
    }

    [Fact]
    public void Backward_MatchesFiniteDifferences_InFloat64()
    {
        var cases = new[]
        {
            new NormCase(3, 8, 1, true, false, true, true, true, 1),
            new NormCase(2, 4, 3, false, true, false, false, false, 2),
            new NormCase(2, 5, 2, false, true, true, true, false, 3),
            new NormCase(2, 6, 1, true, true, true, false, true, 4),
        };
        foreach (var c in cases)
        {
            var s = c.Shape;
            int n = c.Rows * c.C;
            double[] x = Widen(Rand(n, 1)), w = Widen(Rand(c.C, 2)), res = c.Residual ? Widen(Rand(n, 3)) : [];
            double[] z = c.Z ? Widen(Rand(n, 4)) : [], b = c.Bias ? Widen(Rand(c.C, 5)) : [];
            double[] dy = Widen(Rand(n, 6)), dro = c.Residual ? Widen(Rand(n, 7)) : [];
            double[] gx = new double[n], gr = new double[res.Length], gz = new double[z.Length];
            double[] gw = new double[c.C], gb = new double[b.Length];
            RmsNorm.Reference.Backward(s, x, res, z, w, b, dy, dro, gx, gr, gz, gw, gb, c.Options);
            double Loss()
            {
                double[] y = new double[n], ro = new double[res.Length];
                RmsNorm.Reference.Forward(s, x, res, z, w, b, y, ro, c.Options);
                return Dot(dy, y) + Dot(dro, ro);
            }
            FiniteDifference(x, gx, Loss, $"{c} dx");
            FiniteDifference(res, gr, Loss, $"{c} dresidual");
            FiniteDifference(z, gz, Loss, $"{c} dz");
            FiniteDifference(w, gw, Loss, $"{c} dweight");
            FiniteDifference(b, gb, Loss, $"{c} dbias");
        }
    }

    [Fact]
    public void Forward_RejectsGroupNotDividingChannels()
    {
        var e = Assert.Throws<ArgumentException>(() => RmsNorm.Cpu.Forward(new RmsNormShape(1, 10, 4), new float[10],
            [], [], new float[10], [], new float[10], [], default));
        Assert.StartsWith("[rmsnorm]", e.Message);
    }
}
