using FsCheck.Xunit;
using Ssm.Engine.Kernels.Scan;

namespace Ssm.Engine.Kernels.Tests.Scan;

public partial class SelectiveScanTests
{
    private const string Replay = "(9127341,40123457)";
    private const double CpuOut = 1e-4, CpuGrad = 2e-4, RefTol = 1e-10;

    [Property(Arbitrary = [typeof(ScanArbitraries)], MaxTest = 60, Replay = Replay)]
    public void Cpu_EqualsReference_ForwardAndBackward(ScanCase c)
    {
        var x = c.Inputs();
        var (dy, dl) = c.Cotangents();
        var (yr, lr) = Fwd(false, c, x);
        var (yc, lc) = Fwd(true, c, x);
        ScanAssert.Close("y", yc, yr, 1e-5, CpuOut);
        ScanAssert.Close("last_state", lc, lr, 1e-5, CpuOut);
        var gr = Bwd(false, c, x, dy, dl);
        var gc = Bwd(true, c, x, dy, dl);
        foreach (var ((name, want), (_, got)) in ScanAssert.Named(gr).Zip(ScanAssert.Named(gc)))
            ScanAssert.Close("grad." + name, got, want, 1e-5, CpuGrad);
    }

    [Property(Arbitrary = [typeof(GroupedScanArbitraries)], MaxTest = 40, Replay = Replay)]
    public void Cpu_EqualsReference_ForRowsSharingBAndC(ScanCase c) => Cpu_EqualsReference_ForwardAndBackward(c);

    [Fact]
    public void Cpu_EqualsReference_WhenRowsRunInParallel()
    {
        foreach (bool variable in new[] { true, false })
        {
            var c = new ScanCase(2, 37, 50, 16, 1, variable, variable, true, true, true, true, true, false, 11);
            var x = c.Inputs();
            var (dy, dl) = c.Cotangents();
            var (yr, lr) = Fwd(false, c, x);
            var (yc, lc) = Fwd(true, c, x, threads: 2);
            ScanAssert.Close("y", yc, yr, 1e-5, CpuOut);
            ScanAssert.Close("last_state", lc, lr, 1e-5, CpuOut);
            var gr = Bwd(false, c, x, dy, dl);
            var gc = Bwd(true, c, x, dy, dl, threads: 2);
            foreach (var ((name, want), (_, got)) in ScanAssert.Named(gr).Zip(ScanAssert.Named(gc)))
                ScanAssert.Close("grad." + name, got, want, 1e-5, CpuGrad);
        }
    }

    [Property(Arbitrary = [typeof(ScanArbitraries)], MaxTest = 40, Replay = Replay)]
    public void SplitAtAnyK_CarryingTheState_EqualsOnePass(ScanCase c)
    {
        if (c.Length < 2) return;
        int k = 1 + c.Seed % (c.Length - 1);
        foreach (bool cpu in new[] { false, true })
        {
            double outTol = cpu ? CpuOut : RefTol, gradTol = cpu ? CpuGrad : RefTol;
            var x = c.Inputs();
            var (dy, dl) = c.Cotangents();
            var (y, last) = Fwd(cpu, c, x);
            var g = Bwd(cpu, c, x, dy, dl);
            // Processing order: [0, k) then [k, L); reversed scans process [k, L) first.
            var (t1, n1, t2, n2) = c.Reverse ? (k, c.Length - k, 0, k) : (0, k, k, c.Length - k);
            var c1 = c with { Length = n1 };
            var c2 = c with { Length = n2, HasH0 = true };
            var x1 = SliceL(c, x, t1, n1, x.H0);
            var (y1, last1) = Fwd(cpu, c1, x1);
            var x2 = SliceL(c, x, t2, n2, last1);
            var (y2, last2) = Fwd(cpu, c2, x2);
            ScanAssert.Close("last_state", last2, last, 1e-6, outTol);
            ScanAssert.Close("y", Join(c, y1, t1, y2, t2, c.Batch * c.Dim), y, 1e-6, outTol);
            var g2 = Bwd(cpu, c2, x2, SliceArr(dy, c.Batch * c.Dim, c.Length, t2, n2), dl);
            var g1 = Bwd(cpu, c1, x1, SliceArr(dy, c.Batch * c.Dim, c.Length, t1, n1), g2.H0);
            int bdl = c.Batch * c.Dim, bgn = c.Batch * c.Groups * c.State;
            ScanAssert.Close("du", Join(c, g1.U, t1, g2.U, t2, bdl), g.U, 1e-6, gradTol);
            ScanAssert.Close("ddelta", Join(c, g1.Delta, t1, g2.Delta, t2, bdl), g.Delta, 1e-6, gradTol);
            ScanAssert.Close("dA", Sum(g1.A, g2.A), g.A, 1e-6, gradTol);
            var dB = c.VariableB ? Join(c, g1.B, t1, g2.B, t2, bgn) : Sum(g1.B, g2.B);
            var dC = c.VariableC ? Join(c, g1.C, t1, g2.C, t2, bgn) : Sum(g1.C, g2.C);
            ScanAssert.Close("dB", dB, g.B, 1e-6, gradTol);
            ScanAssert.Close("dC", dC, g.C, 1e-6, gradTol);
            if (c.HasD) ScanAssert.Close("dD", Sum(g1.D!, g2.D!), g.D!, 1e-6, gradTol);
            if (c.HasZ) ScanAssert.Close("dz", Join(c, g1.Z!, t1, g2.Z!, t2, bdl), g.Z!, 1e-6, gradTol);
            if (c.HasBias) ScanAssert.Close("dbias", Sum(g1.DeltaBias!, g2.DeltaBias!), g.DeltaBias!, 1e-6, gradTol);
            if (c.HasH0) ScanAssert.Close("dh0", g1.H0!, g.H0!, 1e-6, gradTol);
        }
    }

    [Property(Arbitrary = [typeof(ScanArbitraries)], MaxTest = 40, Replay = Replay)]
    public void PerturbingTokenT_LeavesEarlierOutputsUnchanged(ScanCase c)
    {
        int t = c.Seed % c.Length;
        var x = c.Inputs();
        var (y, _) = Fwd(true, c, x);
        var p = c.Inputs();
        int bd = c.Batch * c.Dim, bgn = c.Batch * c.Groups * c.State;
        for (int r = 0; r < bd; r++)
        {
            p.U[r * c.Length + t] += 0.5;
            p.Delta[r * c.Length + t] += 0.25;
            if (p.Z is not null) p.Z[r * c.Length + t] -= 0.5;
        }
        if (c.VariableB) for (int r = 0; r < bgn; r++) p.B[r * c.Length + t] += 0.5;
        if (c.VariableC) for (int r = 0; r < bgn; r++) p.C[r * c.Length + t] -= 0.5;
        var (yp, _) = Fwd(true, c, p);
        bool changed = false;
        for (int r = 0; r < bd; r++)
        for (int i = 0; i < c.Length; i++)
        {
            bool before = c.Reverse ? i > t : i < t;
            if (before) Assert.Equal(y[r * c.Length + i], yp[r * c.Length + i]);
            if (i == t) changed |= y[r * c.Length + i] != yp[r * c.Length + i];
        }
        Assert.True(changed, "perturbing token t changed no output at t");
    }

    [Property(Arbitrary = [typeof(ScanArbitraries)], MaxTest = 40, Replay = Replay)]
    public void Reverse_EqualsFlipOfForwardScanOfFlip(ScanCase c)
    {
        foreach (bool cpu in new[] { false, true })
        {
            double outTol = cpu ? CpuOut : RefTol, gradTol = cpu ? CpuGrad : RefTol;
            var cr = c with { Reverse = true };
            var cf = c with { Reverse = false };
            var x = c.Inputs();
            var (dy, dl) = c.Cotangents();
            var xf = Flip(c, x);
            var (yr, lr) = Fwd(cpu, cr, x);
            var (yf, lf) = Fwd(cpu, cf, xf);
            int bdl = c.Batch * c.Dim, bgn = c.Batch * c.Groups * c.State;
            ScanAssert.Close("y", yr, FlipL(yf, bdl, c.Length), 1e-6, outTol);
            ScanAssert.Close("last_state", lr, lf, 1e-6, outTol);
            var gr = Bwd(cpu, cr, x, dy, dl);
            var gf = Bwd(cpu, cf, xf, FlipL(dy, bdl, c.Length), dl);
            ScanAssert.Close("du", gr.U, FlipL(gf.U, bdl, c.Length), 1e-6, gradTol);
            ScanAssert.Close("ddelta", gr.Delta, FlipL(gf.Delta, bdl, c.Length), 1e-6, gradTol);
            ScanAssert.Close("dA", gr.A, gf.A, 1e-6, gradTol);
            ScanAssert.Close("dB", gr.B, c.VariableB ? FlipL(gf.B, bgn, c.Length) : gf.B, 1e-6, gradTol);
            ScanAssert.Close("dC", gr.C, c.VariableC ? FlipL(gf.C, bgn, c.Length) : gf.C, 1e-6, gradTol);
            if (c.HasZ) ScanAssert.Close("dz", gr.Z!, FlipL(gf.Z!, bdl, c.Length), 1e-6, gradTol);
            if (c.HasH0) ScanAssert.Close("dh0", gr.H0!, gf.H0!, 1e-6, gradTol);
        }
    }

    [Property(Arbitrary = [typeof(ScanArbitraries)], MaxTest = 30, Replay = Replay)]
    public void ReferenceBackward_MatchesFiniteDifferences_ForEveryInput(ScanCase c)
    {
        var x = c.Inputs();
        var (dy, dl) = c.Cotangents();
        var g = SelectiveScan.Reference.Backward(c.Shape, c.Options(), x, dy, dl);
        var rng = new Random(c.Seed);
        foreach (var ((name, input), (_, grad)) in ScanAssert.Named(x).Zip(ScanAssert.Named(g)))
        {
            for (int probe = 0; probe < 6; probe++)
            {
                int i = rng.Next(input.Length);
                double keep = input[i], eps = 1e-6;
                input[i] = keep + eps;
                double sp = Objective(c, x, dy, dl);
                input[i] = keep - eps;
                double sm = Objective(c, x, dy, dl);
                input[i] = keep;
                double fd = (sp - sm) / (2 * eps);
                Assert.True(Math.Abs(fd - grad[i]) <= 1e-6 + 1e-5 * Math.Abs(fd),
                    $"d{name}[{i}]: backward {grad[i]:g8}, finite difference {fd:g8}");
            }
        }
    }

    private static double Objective(ScanCase c, SelectiveScanInputs<double> x, double[] dy, double[] dl)
    {
        var (y, last) = Fwd(false, c, x);
        double s = 0;
        for (int i = 0; i < y.Length; i++) s += dy[i] * y[i];
        for (int i = 0; i < last.Length; i++) s += dl[i] * last[i];
        return s;
    }

    private static (double[] Y, double[] Last) Fwd(bool cpu, ScanCase c, SelectiveScanInputs<double> x, int threads = 0)
    {
        var s = c.Shape;
        int bdn = c.Batch * c.Dim * c.State;
        if (!cpu)
        {
            var y = new double[x.U.Length];
            var last = new double[bdn];
            SelectiveScan.Reference.Forward(s, c.Options(), x, y, last);
            return (y, last);
        }
        var yf = new float[x.U.Length];
        var lf = new float[bdn];
        SelectiveScan.Cpu.Forward(s, c.Options(threads), ScanAssert.ToFloat(x), yf, lf);
        return (ScanAssert.ToDouble(yf), ScanAssert.ToDouble(lf));
    }

    private static SelectiveScanGrads<double> Bwd(bool cpu, ScanCase c, SelectiveScanInputs<double> x,
        double[]? dy, double[]? dl, int threads = 0)
    {
        if (!cpu) return SelectiveScan.Reference.Backward(c.Shape, c.Options(), x, dy, dl);
        var g = SelectiveScan.Cpu.Backward(c.Shape, c.Options(threads), ScanAssert.ToFloat(x),
            ScanAssert.ToFloatOrNull(dy), ScanAssert.ToFloatOrNull(dl));
        return new SelectiveScanGrads<double>
        {
            U = ScanAssert.ToDouble(g.U), Delta = ScanAssert.ToDouble(g.Delta), A = ScanAssert.ToDouble(g.A),
            B = ScanAssert.ToDouble(g.B), C = ScanAssert.ToDouble(g.C), D = ScanAssert.ToDoubleOrNull(g.D),
            Z = ScanAssert.ToDoubleOrNull(g.Z), DeltaBias = ScanAssert.ToDoubleOrNull(g.DeltaBias),
            H0 = ScanAssert.ToDoubleOrNull(g.H0),
        };
    }

    private static SelectiveScanInputs<double> SliceL(ScanCase c, SelectiveScanInputs<double> x, int t0, int n,
        double[]? h0)
    {
        int bd = c.Batch * c.Dim, bgn = c.Batch * c.Groups * c.State;
        return new SelectiveScanInputs<double>
        {
            U = SliceArr(x.U, bd, c.Length, t0, n), Delta = SliceArr(x.Delta, bd, c.Length, t0, n), A = x.A,
            B = c.VariableB ? SliceArr(x.B, bgn, c.Length, t0, n) : x.B,
            C = c.VariableC ? SliceArr(x.C, bgn, c.Length, t0, n) : x.C,
            D = x.D, Z = x.Z is null ? null : SliceArr(x.Z, bd, c.Length, t0, n), DeltaBias = x.DeltaBias, H0 = h0,
        };
    }

    private static double[] SliceArr(double[] a, int outer, int len, int t0, int n)
    {
        var r = new double[outer * n];
        for (int o = 0; o < outer; o++) Array.Copy(a, o * len + t0, r, o * n, n);
        return r;
    }

    /// <summary>Concatenates two L-slices (placed at t1 and t2) back into full rows.</summary>
    private static double[] Join(ScanCase c, double[] a, int t1, double[] b, int t2, int outer)
    {
        int la = a.Length / outer, lb = b.Length / outer;
        var r = new double[outer * c.Length];
        for (int o = 0; o < outer; o++)
        {
            Array.Copy(a, o * la, r, o * c.Length + t1, la);
            Array.Copy(b, o * lb, r, o * c.Length + t2, lb);
        }
        return r;
    }

    private static double[] Sum(double[] a, double[] b) => a.Zip(b, (p, q) => p + q).ToArray();

    private static double[] FlipL(double[] a, int outer, int len)
    {
        var r = new double[a.Length];
        for (int o = 0; o < outer; o++)
        for (int t = 0; t < len; t++)
            r[o * len + t] = a[o * len + len - 1 - t];
        return r;
    }

    private static SelectiveScanInputs<double> Flip(ScanCase c, SelectiveScanInputs<double> x)
    {
        int bd = c.Batch * c.Dim, bgn = c.Batch * c.Groups * c.State, l = c.Length;
        return new SelectiveScanInputs<double>
        {
            U = FlipL(x.U, bd, l), Delta = FlipL(x.Delta, bd, l), A = x.A,
            B = c.VariableB ? FlipL(x.B, bgn, l) : x.B, C = c.VariableC ? FlipL(x.C, bgn, l) : x.C,
            D = x.D, Z = x.Z is null ? null : FlipL(x.Z, bd, l), DeltaBias = x.DeltaBias, H0 = x.H0,
        };
    }
}
