using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using Ssm.Engine.Kernels.Ssd;
using FG = FsCheck.Fluent.Gen;
using K = Ssm.Engine.Kernels.Ssd.Ssd;

namespace Ssm.Engine.Kernels.Tests.Ssd;

/// <summary>Float64 central finite differences of S = Σ dy⊙y + Σ dFinal⊙final against Reference.Backward, for
/// every coordinate of every input (small random shapes, fixed seeds).</summary>
public class SsdGradCheckTests
{
    private static Config Cfg(ulong seed, int tests) => Config.QuickThrowOnFailure.WithMaxTest(tests)
        .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(seed, 0x2545F4914F6CDD1DUL), FSharpOption<int>.None)));

    private static Gen<SsdSpec> Small =>
        from sp in SsdSpec.Gen(maxL: 6, maxP: 3, maxN: 3)
        from b in FG.Choose(1, 2)
        select sp with { B = b, Strong = false };

    private const double Eps = 1e-6;

    private static double Loss(double[] y, double[] f, double[] dy, double[] dF)
    {
        double s = 0;
        for (int i = 0; i < y.Length; i++) s += y[i] * dy[i];
        for (int i = 0; i < f.Length; i++) s += f[i] * dF[i];
        return s;
    }

    private static void Compare(string what, double[]? analytic, double[]? param, Func<double> loss)
    {
        if (param is null) return;
        Assert.NotNull(analytic);
        double scale = analytic.Select(Math.Abs).DefaultIfEmpty(0).Max();
        for (int i = 0; i < param.Length; i++)
        {
            double keep = param[i];
            param[i] = keep + Eps;
            double up = loss();
            param[i] = keep - Eps;
            double down = loss();
            param[i] = keep;
            double fd = (up - down) / (2 * Eps);
            if (Math.Abs(fd - analytic[i]) > 1e-6 + 1e-5 * scale)
                throw new Xunit.Sdk.XunitException($"{what}[{i}]: analytic {analytic[i]:g8} vs fd {fd:g8}");
        }
    }

    [Fact]
    public void ReferenceBackward_MatchesFiniteDifferences() => Prop.ForAll(Small.ToArbitrary(), sp =>
    {
        var s = sp.Shape;
        var o = sp.Options(SsdAlgorithm.Recurrent);
        var x = sp.InputsDouble();
        var (dyf, dFf) = sp.Cotangents();
        double[] dy = Array.ConvertAll(dyf, v => (double)v), dF = Array.ConvertAll(dFf, v => (double)v);
        var y = new double[s.XLength];
        var f = new double[s.StateLength];
        double L()
        {
            K.Reference.Forward(s, o, x, y, f);
            return Loss(y, f, dy, dF);
        }
        var g = SsdGradients<double>.Allocate(x);
        K.Reference.Backward(s, o, x, dy, dF, g);
        Compare($"x {sp}", g.X, x.X, L);
        Compare($"dt {sp}", g.Dt, x.Dt, L);
        Compare($"A {sp}", g.A, x.A, L);
        Compare($"B {sp}", g.B, x.B, L);
        Compare($"C {sp}", g.C, x.C, L);
        Compare($"D {sp}", g.D, x.D, L);
        Compare($"z {sp}", g.Z, x.Z, L);
        Compare($"dt_bias {sp}", g.DtBias, x.DtBias, L);
        Compare($"initial_states {sp}", g.InitialStates, x.InitialStates, L);
    }).Check(Cfg(21, 25));

    [Fact]
    public void ReferenceBackwardDiscrete_MatchesFiniteDifferences() => Prop.ForAll(Small.ToArbitrary(), sp =>
    {
        var s = sp.Shape with { G = sp.H };
        var rng = new Random(sp.Seed);
        double[] F(int n, double lo, double hi) =>
            Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * rng.NextDouble()).ToArray();
        var x = new SsdDiscreteInputs<double>
        {
            X = F(s.XLength, -1, 1), A = F(s.DtLength, -1.5, 0), B = F(s.BcLength, -1, 1), C = F(s.BcLength, -1, 1),
            InitialStates = sp.Init ? F(s.StateLength, -1, 1) : null,
        };
        double[] dy = F(s.XLength, -1, 1), dF = F(s.StateLength, -1, 1);
        var y = new double[s.XLength];
        var f = new double[s.StateLength];
        double L()
        {
            K.Reference.ForwardDiscrete(s, x, y, f);
            return Loss(y, f, dy, dF);
        }
        var g = SsdDiscreteGradients<double>.Allocate(x);
        K.Reference.BackwardDiscrete(s, x, dy, dF, g);
        Compare($"X {sp}", g.X, x.X, L);
        Compare($"A {sp}", g.A, x.A, L);
        Compare($"B {sp}", g.B, x.B, L);
        Compare($"C {sp}", g.C, x.C, L);
        Compare($"initial_states {sp}", g.InitialStates, x.InitialStates, L);
    }).Check(Cfg(22, 25));
}
