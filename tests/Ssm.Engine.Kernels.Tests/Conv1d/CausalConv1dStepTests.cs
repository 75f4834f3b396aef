using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ssm.Engine.Kernels.Conv1d;
using static Ssm.Engine.Kernels.Tests.Conv1d.ConvTestData;

namespace Ssm.Engine.Kernels.Tests.Conv1d;

public class CausalConv1dStepTests
{
    private const string Seed = "(20261123,9013)";

    /// <summary>An update problem from a conv case: state length S ≥ K-1 (≥ 1), L ≤ S when circular.</summary>
    private sealed record StepCase(ConvCase C, int S, int L, int[] Seqlens)
    {
        public CausalConv1dUpdateShape Shape => new(C.B, C.D, L, C.K, S);
        public int Rows => C.B * C.D;

        public static StepCase From(ConvCase c, bool circular)
        {
            int S = Math.Max(1, c.K - 1 + c.Seed % 3);
            int L = circular ? 1 + c.L % S : c.L;
            int[] seq = circular ? Enumerable.Range(0, c.B).Select(b => (c.Seed / 7 + 13 * b) % 50).ToArray() : [];
            return new StepCase(c, S, L, seq);
        }
    }

    [Property(Replay = Seed, MaxTest = 50)]
    public Property Cpu_MatchesReference_StepAndStepBackward() => Prop.ForAll(Cases(), c =>
    {
        foreach (bool circular in new[] { false, true })
        {
            var u = StepCase.From(c, circular);
            var s = u.Shape;
            int n = u.Rows * u.L, m = u.Rows * u.S;
            float[] x = c.Rand(n, 1), st = c.Rand(m, 2), w = c.Rand(c.D * c.K, 3), b = c.Bias ? c.Rand(c.D, 4) : [];
            float[] y0 = new float[n], y1 = new float[n], ns0 = new float[m], ns1 = new float[m];
            CausalConv1d.Reference.Step(s, x, st, w, b, u.Seqlens, y0, ns0, c.Options);
            CausalConv1d.Cpu.Step(s, x, st, w, b, u.Seqlens, y1, ns1, c.Options);
            Close(y0, y1, "y");
            Close(ns0, ns1, "new state", 0, 0);
            float[] dy = c.Rand(n, 5), dn = c.Rand(m, 6);
            float[] gx0 = new float[n], gs0 = new float[m], gw0 = new float[w.Length], gb0 = new float[b.Length];
            float[] gx1 = new float[n], gs1 = new float[m], gw1 = new float[w.Length], gb1 = new float[b.Length];
            CausalConv1d.Reference.StepBackward(s, x, st, w, b, u.Seqlens, dy, dn, gx0, gs0, gw0, gb0, c.Options);
            CausalConv1d.Cpu.StepBackward(s, x, st, w, b, u.Seqlens, dy, dn, gx1, gs1, gw1, gb1, c.Options);
            Close(gx0, gx1, "dx");
            Close(gs0, gs1, "dconv_state");
            Close(gw0, gw1, "dweight");
            Close(gb0, gb1, "dbias");
        }
    });

    [Property(Replay = Seed, MaxTest = 50)]
    public Property Circular_EqualsLinear_WithRotatedState() => Prop.ForAll(Cases(), c =>
    {
        var u = StepCase.From(c, circular: true);
        var s = u.Shape;
        int n = u.Rows * u.L, m = u.Rows * u.S, S = u.S, D = c.D;
        float[] x = c.Rand(n, 1), lin = c.Rand(m, 2), w = c.Rand(c.D * c.K, 3), b = c.Bias ? c.Rand(c.D, 4) : [];
        // logical slot i (oldest first) of batch b sits at (seqlen − S + i) mod S;
        // after L writes at (seqlen + L − S + i)
        int Pos(int r, int i, int shift) => (int)(((long)u.Seqlens[r / D] + shift - S + i) % S + S) % S;
        var circ = new float[m];
        for (int r = 0; r < u.Rows; r++)
            for (int i = 0; i < S; i++) circ[r * S + Pos(r, i, 0)] = lin[r * S + i];
        float[] yl = new float[n], yc = new float[n], nl = new float[m], nc = new float[m];
        CausalConv1d.Cpu.Step(s, x, lin, w, b, [], yl, nl, c.Options);
        CausalConv1d.Cpu.Step(s, x, circ, w, b, u.Seqlens, yc, nc, c.Options);
        Close(yl, yc, "y", 1e-6, 1e-6);
        float[] dy = c.Rand(n, 5), dnl = c.Rand(m, 6), dnc = new float[m];
        for (int r = 0; r < u.Rows; r++)
            for (int i = 0; i < S; i++)
            {
                Assert.Equal(nl[r * S + i], nc[r * S + Pos(r, i, u.L)]);
                dnc[r * S + Pos(r, i, u.L)] = dnl[r * S + i];
            }
        float[] gxl = new float[n], gsl = new float[m], gw = new float[w.Length], gb = new float[b.Length];
        float[] gxc = new float[n], gsc = new float[m];
        CausalConv1d.Cpu.StepBackward(s, x, lin, w, b, [], dy, dnl, gxl, gsl, gw, gb, c.Options);
        CausalConv1d.Cpu.StepBackward(s, x, circ, w, b, u.Seqlens, dy, dnc, gxc, gsc, gw, gb, c.Options);
        Close(gxl, gxc, "dx", 1e-6, 1e-6);
        for (int r = 0; r < u.Rows; r++)
            for (int i = 0; i < S; i++)
                Assert.Equal(gsl[r * S + i], gsc[r * S + Pos(r, i, 0)], 5);
    });

    [Fact]
    public void StepBackward_MatchesFiniteDifferences_InFloat64()
    {
        var cases = new[] { (3, 5, 3, false), (4, 3, 1, false), (4, 6, 2, true), (2, 2, 4, false) };
        foreach (var (k, S, L, circular) in cases)
        {
            var s = new CausalConv1dUpdateShape(2, 2, L, k, S);
            var o = new CausalConv1dOptions(Silu: true);
            int n = s.Rows * L, m = s.Rows * S;
            int[] seq = circular ? [3, 10] : [];
            double[] x = Widen(Rand(n, 1)), st = Widen(Rand(m, 2)), w = Widen(Rand(2 * k, 3)), b = Widen(Rand(2, 4));
            double[] dy = Widen(Rand(n, 5)), dn = Widen(Rand(m, 6));
            double[] gx = new double[n], gs = new double[m], gw = new double[w.Length], gb = new double[2];
            CausalConv1d.Reference.StepBackward(s, x, st, w, b, seq, dy, dn, gx, gs, gw, gb, o);
            double Loss()
            {
                double[] y = new double[n], ns = new double[m];
                CausalConv1d.Reference.Step(s, x, st, w, b, seq, y, ns, o);
                return Dot(dy, y) + Dot(dn, ns);
            }
            FiniteDifference(x, gx, Loss, "dx");
            FiniteDifference(st, gs, Loss, "dconv_state");
            FiniteDifference(w, gw, Loss, "dweight");
            FiniteDifference(b, gb, Loss, "dbias");
        }
    }

    [Fact]
    public void Step_RejectsShortState()
    {
        var s = new CausalConv1dUpdateShape(1, 1, 1, 4, 2);
        var e = Assert.Throws<ArgumentException>(() =>
            CausalConv1d.Cpu.Step(s, new float[1], new float[2], new float[4], [], [], new float[1], new float[2],
                default));
        Assert.StartsWith("[causal_conv1d_update]", e.Message);
    }
}
