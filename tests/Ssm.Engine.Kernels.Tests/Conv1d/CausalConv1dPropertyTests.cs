using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ssm.Engine.Kernels.Conv1d;
using static Ssm.Engine.Kernels.Tests.Conv1d.ConvTestData;

namespace Ssm.Engine.Kernels.Tests.Conv1d;

public class CausalConv1dPropertyTests
{
    private const string Seed = "(20261123,7771)";

    [Property(Replay = Seed, MaxTest = 60)]
    public Property Cpu_MatchesReference_ForwardAndBackward() => Prop.ForAll(Cases(), c =>
    {
        var s = c.Shape;
        int n = s.Rows * c.L, h = s.Rows * (c.K - 1);
        float[] x = c.Rand(n, 1), w = c.Rand(c.D * c.K, 2), b = c.Bias ? c.Rand(c.D, 3) : [];
        float[] init = c.Init ? c.Rand(h, 4) : [], dy = c.Rand(n, 5), df = c.Rand(h, 6);
        float[] y0 = new float[n], y1 = new float[n], f0 = new float[h], f1 = new float[h];
        CausalConv1d.Reference.Forward(s, x, w, b, init, y0, f0, c.Options);
        CausalConv1d.Cpu.Forward(s, x, w, b, init, y1, f1, c.Options);
        Close(y0, y1, "y");
        Close(f0, f1, "final_states", 0, 0);
        float[] gx0 = new float[n], gw0 = new float[w.Length], gb0 = new float[b.Length], gi0 = new float[init.Length];
        float[] gx1 = new float[n], gw1 = new float[w.Length], gb1 = new float[b.Length], gi1 = new float[init.Length];
        CausalConv1d.Reference.Backward(s, x, w, b, init, dy, df, gx0, gw0, gb0, gi0, c.Options);
        CausalConv1d.Cpu.Backward(s, x, w, b, init, dy, df, gx1, gw1, gb1, gi1, c.Options);
        Close(gx0, gx1, "dx");
        Close(gw0, gw1, "dweight");
        Close(gb0, gb1, "dbias");
        Close(gi0, gi1, "dinitial_states");
    });

    /// <summary>Long rows of odd length (every alignment of the 512-bit and 256-bit loops, with scalar tails) over
    /// several threads' worth of channels.</summary>
    [Fact]
    public void Backward_LongOddRows_MatchReference()
    {
        var s = new CausalConv1dShape(2, 67, 2047, 4);
        var rng = new Random(5);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => rng.NextSingle() * 2 - 1).ToArray();
        int n = s.Rows * s.Length, h = s.Rows * 3;
        float[] x = R(n), w = R(67 * 4), b = R(67), init = R(h), dy = R(n), df = R(h);
        var o = new CausalConv1dOptions(true);
        float[] gx0 = new float[n], gw0 = new float[w.Length], gb0 = new float[67], gi0 = new float[h];
        float[] gx1 = new float[n], gw1 = new float[w.Length], gb1 = new float[67], gi1 = new float[h];
        CausalConv1d.Reference.Backward(s, x, w, b, init, dy, df, gx0, gw0, gb0, gi0, o);
        CausalConv1d.Cpu.Backward(s, x, w, b, init, dy, df, gx1, gw1, gb1, gi1, o);
        Close(gx0, gx1, "dx");
        Close(gw0, gw1, "dweight");
        Close(gb0, gb1, "dbias");
        Close(gi0, gi1, "dinitial_states");
    }

    /// <summary>The output and dx bits do not depend on where the rows lie in memory: the 512-bit loops align their
    /// stores and recompute the overlap, which must give the same values (and match the reference) at every
    /// offset.</summary>
    [Theory]
    [InlineData(37, false)]
    [InlineData(200, true)]
    public void ForwardAndBackward_SameBitsAtEveryMemoryOffset(int length, bool silu)
    {
        var s = new CausalConv1dShape(2, 3, length, 4);
        int n = s.Rows * length, h = s.Rows * 3;
        var rng = new Random(length);
        float[] R(int count) => Enumerable.Range(0, count).Select(_ => rng.NextSingle() * 2 - 1).ToArray();
        float[] x = R(n), w = R(12), b = R(3), init = R(h), dy = R(n), df = R(h);
        var o = new CausalConv1dOptions(silu);
        float[] want = new float[n], f = new float[h], dxWant = new float[n];
        float[] gw = new float[12], gb = new float[3], gi = new float[h];
        CausalConv1d.Reference.Forward(s, x, w, b, init, want, f, o);
        CausalConv1d.Reference.Backward(s, x, w, b, init, dy, df, dxWant, gw, gb, gi, o);
        float[]? y0 = null, dx0 = null;
        for (int offset = 0; offset < 16; offset++)
        {
            float[] xs = new float[n + 16], ys = new float[n + 16], dys = new float[n + 16], dxs = new float[n + 16];
            x.CopyTo(xs, offset);
            dy.CopyTo(dys, offset);
            CausalConv1d.Cpu.Forward(s, xs.AsSpan(offset, n), w, b, init, ys.AsSpan(offset, n), f, o);
            CausalConv1d.Cpu.Backward(s, xs.AsSpan(offset, n), w, b, init, dys.AsSpan(offset, n), df,
                dxs.AsSpan(offset, n), gw, gb, gi, o);
            float[] y = ys[offset..(offset + n)], dx = dxs[offset..(offset + n)];
            Close(want, y, $"y at offset {offset}");
            Close(dxWant, dx, $"dx at offset {offset}");
            y0 ??= y;
            dx0 ??= dx;
            Assert.True(y0.AsSpan().SequenceEqual(y), $"offset {offset} changed the bits of y");
            Assert.True(dx0.AsSpan().SequenceEqual(dx), $"offset {offset} changed the bits of dx");
        }
    }

    [Property(Replay = Seed, MaxTest = 40)]
    public Property SplitSequence_CarryingState_EqualsOnePass() => Prop.ForAll(Cases(), c =>
    {
        var s = c.Shape;
        int R = s.Rows, H = c.K - 1, L = c.L, split = c.Seed % (L + 1);
        float[] x = c.Rand(R * L, 1), w = c.Rand(c.D * c.K, 2), b = c.Bias ? c.Rand(c.D, 3) : [];
        float[] init = c.Rand(R * H, 4), y = new float[R * L], fin = new float[R * H];
        CausalConv1d.Cpu.Forward(s, x, w, b, init, y, fin, c.Options);
        float[] xa = Columns(x, R, L, 0, split), xb = Columns(x, R, L, split, L - split);
        float[] ya = new float[xa.Length], yb = new float[xb.Length], mid = new float[R * H], end = new float[R * H];
        CausalConv1d.Cpu.Forward(s with { Length = split }, xa, w, b, init, ya, mid, c.Options);
        CausalConv1d.Cpu.Forward(s with { Length = L - split }, xb, w, b, mid, yb, end, c.Options);
        Close(Columns(y, R, L, 0, split), ya, "y[:k]", 1e-6, 1e-6);
        Close(Columns(y, R, L, split, L - split), yb, "y[k:]", 1e-6, 1e-6);
        Close(fin, end, "final_states", 0, 0);
    });

    [Property(Replay = Seed, MaxTest = 40)]
    public Property StepByStep_EqualsForward() => Prop.ForAll(Cases(), c =>
    {
        var s = c.Shape;
        int R = s.Rows, H = c.K - 1, L = c.L, S = H + c.Seed % 3;
        float[] x = c.Rand(R * L, 1), w = c.Rand(c.D * c.K, 2), b = c.Bias ? c.Rand(c.D, 3) : [];
        float[] init = c.Rand(R * H, 4), y = new float[R * L], fin = new float[R * H];
        CausalConv1d.Cpu.Forward(s, x, w, b, init, y, fin, c.Options);
        // linear state of length S: zeros, then the K-1 initial inputs at the end
        var state = new float[R * S];
        for (int r = 0; r < R; r++) Array.Copy(init, r * H, state, r * S + S - H, H);
        var us = new CausalConv1dUpdateShape(c.B, c.D, 1, c.K, S);
        var yt = new float[R];
        for (int t = 0; t < L; t++)
        {
            CausalConv1d.Cpu.Step(us, Columns(x, R, L, t, 1), state, w, b, [], yt, state, c.Options);
            Close(Columns(y, R, L, t, 1), yt, $"y[{t}]", 1e-6, 1e-6);
        }
        for (int r = 0; r < R; r++)
            Close(fin.AsSpan(r * H, H), state.AsSpan(r * S + S - H, H), "state tail", 0, 0);
    });

    [Property(Replay = Seed, MaxTest = 40)]
    public Property Output_IsCausal() => Prop.ForAll(Cases(), c =>
    {
        var s = c.Shape;
        int R = s.Rows, L = c.L, t0 = c.Seed % L;
        float[] x = c.Rand(R * L, 1), w = c.Rand(c.D * c.K, 2), b = c.Bias ? c.Rand(c.D, 3) : [];
        float[] init = c.Init ? c.Rand(R * (c.K - 1), 4) : [];
        float[] y0 = new float[R * L], y1 = new float[R * L];
        CausalConv1d.Cpu.Forward(s, x, w, b, init, y0, [], c.Options);
        for (int r = 0; r < R; r++) x[r * L + t0] += 3f;
        CausalConv1d.Cpu.Forward(s, x, w, b, init, y1, [], c.Options);
        Close(Columns(y0, R, L, 0, t0), Columns(y1, R, L, 0, t0), "y before the change", 0, 0);
    });

    [Fact]
    public void Backward_MatchesFiniteDifferences_InFloat64()
    {
        var cases = new[] { (3, true, true, true), (4, false, false, false), (1, true, true, false) };
        foreach (var (k, silu, bias, init) in cases)
        {
            var s = new CausalConv1dShape(2, 2, 5, k);
            var o = new CausalConv1dOptions(silu);
            int n = s.Rows * s.Length, h = s.Rows * (k - 1);
            double[] x = Widen(Rand(n, 1)), w = Widen(Rand(2 * k, 2)), b = bias ? Widen(Rand(2, 3)) : [];
            double[] i0 = init ? Widen(Rand(h, 4)) : [], dy = Widen(Rand(n, 5)), df = Widen(Rand(h, 6));
            double[] gx = new double[n], gw = new double[w.Length], gb = new double[b.Length];
            var gi = new double[i0.Length];
            CausalConv1d.Reference.Backward(s, x, w, b, i0, dy, df, gx, gw, gb, gi, o);
            double Loss()
            {
                double[] y = new double[n], f = new double[h];
                CausalConv1d.Reference.Forward(s, x, w, b, i0, y, f, o);
                return Dot(dy, y) + Dot(df, f);
            }
            FiniteDifference(x, gx, Loss, "dx");
            FiniteDifference(w, gw, Loss, "dweight");
            FiniteDifference(b, gb, Loss, "dbias");
            FiniteDifference(i0, gi, Loss, "dinitial_states");
        }
    }

    /// <summary>Columns [t0, t0+n) of every row of a (R, L) array.</summary>
    internal static float[] Columns(float[] a, int rows, int L, int t0, int n)
    {
        var r = new float[rows * n];
        for (int i = 0; i < rows; i++) Array.Copy(a, i * L + t0, r, i * n, n);
        return r;
    }
}
