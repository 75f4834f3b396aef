using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ssm.Engine.Conformance;
using Ssm.Engine.Conformance.Families;
using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Scan;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Kernels.Tests.Scan;

/// <summary>A random decode-step problem.</summary>
public sealed record StepCase(int Batch, int Heads, int HeadDim, int State, int Groups, bool HasD, bool HasZ,
    bool HasBias, bool Softplus, int Seed)
{
    public SelectiveStateUpdateShape Shape => new(Batch, Heads, HeadDim, State, Groups);

    public SelectiveStateUpdateInputs<double> Inputs()
    {
        var rng = new Random(Seed);
        int bhp = Batch * Heads * HeadDim, hp = Heads * HeadDim, bgn = Batch * Groups * State;
        return new SelectiveStateUpdateInputs<double>
        {
            State = ScanCase.Fill(rng, bhp * State, -1, 1), X = ScanCase.Fill(rng, bhp, -1, 1),
            Dt = Softplus ? ScanCase.Fill(rng, bhp, -2, 0.5) : ScanCase.Fill(rng, bhp, 0.02, 0.6),
            A = ScanCase.Fill(rng, hp * State, -2, -0.2), B = ScanCase.Fill(rng, bgn, -1, 1),
            C = ScanCase.Fill(rng, bgn, -1, 1), D = HasD ? ScanCase.Fill(rng, hp, -1, 1) : null,
            Z = HasZ ? ScanCase.Fill(rng, bhp, -2, 2) : null,
            DtBias = HasBias ? ScanCase.Fill(rng, hp, -0.5, 0.3) : null,
        };
    }
}

public static class StepArbitraries
{
    public static Arbitrary<StepCase> StepCase() => Arb.From(
        from batch in Gen.Choose(1, 4)
        from heads in Gen.Choose(1, 6)
        from headDim in Gen.Choose(1, 5)
        from state in Gen.Elements(1, 3, 8, 9, 16, 17)
        from groups in Gen.Elements(heads % 2 == 0 ? new[] { 1, 2, heads } : new[] { 1, heads })
        from flags in Gen.Choose(0, 15)
        from seed in Gen.Choose(0, 1_000_000)
        select new StepCase(batch, heads, headDim, state, groups, (flags & 1) != 0, (flags & 2) != 0,
            (flags & 4) != 0, (flags & 8) != 0, seed));
}

public class SelectiveStateUpdateTests
{
    private const string Replay = "(5512347,8812343)";

    public static IEnumerable<object[]> Cases() => GoldenPaths.OpCaseData("selective_state_update");

    [Theory]
    [MemberData(nameof(Cases))]
    public void CpuFamily_MatchesGolden_EveryOutputAndGradient(string file)
    {
        using var golden = GoldenCase.Open(GoldenPaths.OpCase("selective_state_update", file));
        var got = new SelectiveStateUpdateFamily().Run(golden, null, DeviceSpec.Cpu);
        int compared = 0;
        foreach (string name in golden.TensorNames.Where(n => n.StartsWith("out.") || n.StartsWith("grad.")))
        {
            Assert.True(got.ContainsKey(name), $"{file}: {name} not computed");
            Assert.Equal(golden.Get(name).Shape, got[name].Shape);
            ScanAssert.Close($"{file} {name}", got[name].Data, golden.Get(name).Data,
                name.StartsWith("out.") ? golden.OutTolerance : golden.GradTolerance);
            compared++;
        }
        Assert.True(compared >= 4);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reference_MatchesGolden_EveryOutputAndGradient(string file)
    {
        using var golden = GoldenCase.Open(GoldenPaths.OpCase("selective_state_update", file));
        var (shape, options, xf) = SelectiveStateUpdateFamily.ReadInputs(golden);
        var x = ToDouble(xf);
        var y = new double[x.X.Length];
        var state = new double[x.State.Length];
        SelectiveStateUpdate.Reference.Step(shape, options, x, y, state);
        Check(golden, "out.y", y, golden.OutTolerance);
        Check(golden, "out.state", state, golden.OutTolerance);
        var g = SelectiveStateUpdate.Reference.Backward(shape, options, x,
            ScanAssert.ToDouble(golden.Get("grad_in.y").Data), ScanAssert.ToDouble(golden.Get("grad_in.state").Data));
        foreach (var (name, data) in Named(g)) Check(golden, "grad." + name, data, golden.GradTolerance);
    }

    [Property(Arbitrary = [typeof(StepArbitraries)], MaxTest = 60, Replay = Replay)]
    public void Cpu_EqualsReference_ForwardAndBackward(StepCase c)
    {
        var x = c.Inputs();
        var o = new SelectiveStateUpdateOptions(c.Softplus);
        var rng = new Random(c.Seed + 1);
        double[] dy = ScanCase.Fill(rng, x.X.Length, -1, 1), ds = ScanCase.Fill(rng, x.State.Length, -1, 1);
        var (yr, sr) = (new double[x.X.Length], new double[x.State.Length]);
        SelectiveStateUpdate.Reference.Step(c.Shape, o, x, yr, sr);
        var xf = ToFloat(x);
        var (yc, sc) = (new float[x.X.Length], new float[x.State.Length]);
        SelectiveStateUpdate.Cpu.Step(c.Shape, o, xf, yc, sc);
        ScanAssert.Close("y", ScanAssert.ToDouble(yc), yr, 1e-5, 1e-4);
        ScanAssert.Close("state", ScanAssert.ToDouble(sc), sr, 1e-5, 1e-4);
        var gr = SelectiveStateUpdate.Reference.Backward(c.Shape, o, x, dy, ds);
        var gc = SelectiveStateUpdate.Cpu.Backward(c.Shape, o, xf, ScanAssert.ToFloat(dy), ScanAssert.ToFloat(ds));
        foreach (var ((name, want), (_, got)) in Named(gr).Zip(Named(gc)))
            ScanAssert.Close("grad." + name, ScanAssert.ToDouble(got), want, 1e-5, 2e-4);
    }

    [Property(Arbitrary = [typeof(StepArbitraries)], MaxTest = 30, Replay = Replay)]
    public void ReferenceBackward_MatchesFiniteDifferences_ForEveryInput(StepCase c)
    {
        var x = c.Inputs();
        var o = new SelectiveStateUpdateOptions(c.Softplus);
        var rng = new Random(c.Seed + 1);
        double[] dy = ScanCase.Fill(rng, x.X.Length, -1, 1), ds = ScanCase.Fill(rng, x.State.Length, -1, 1);
        var g = SelectiveStateUpdate.Reference.Backward(c.Shape, o, x, dy, ds);
        double Objective()
        {
            var (y, st) = (new double[x.X.Length], new double[x.State.Length]);
            SelectiveStateUpdate.Reference.Step(c.Shape, o, x, y, st);
            return y.Zip(dy, (a, b) => a * b).Sum() + st.Zip(ds, (a, b) => a * b).Sum();
        }
        foreach (var ((name, input), (_, grad)) in Named(x).Zip(Named(g)))
        {
            for (int probe = 0; probe < 6; probe++)
            {
                int i = rng.Next(input.Length);
                double keep = input[i], eps = 1e-6;
                input[i] = keep + eps;
                double sp = Objective();
                input[i] = keep - eps;
                double sm = Objective();
                input[i] = keep;
                double fd = (sp - sm) / (2 * eps);
                Assert.True(Math.Abs(fd - grad[i]) <= 1e-6 + 1e-5 * Math.Abs(fd),
                    $"d{name}[{i}]: backward {grad[i]:g8}, finite difference {fd:g8}");
            }
        }
    }

    /// <summary>Decoding token by token with the step kernel reproduces one scan forward pass (Mamba-1
    /// form for G = 1; for G &gt; 1 the Mamba-2 form with H = D, P = 1, whose head groups match the scan's).</summary>
    [Property(Arbitrary = [typeof(ScanArbitraries)], MaxTest = 40, Replay = Replay)]
    public void StepByStepDecode_EqualsOneScanForwardPass(ScanCase c0)
    {
        var c = c0 with { Reverse = false, VariableB = true, VariableC = true };   // the step takes B, C per token
        var x = ScanAssert.ToFloat(c.Inputs());
        int bd = c.Batch * c.Dim, L = c.Length, N = c.State;
        var y = new float[bd * L];
        var last = new float[bd * N];
        SelectiveScan.Cpu.Forward(c.Shape, c.Options(), x, y, last);
        var shape = c.Groups == 1
            ? SelectiveStateUpdateShape.Mamba1(c.Batch, c.Dim, N)
            : new SelectiveStateUpdateShape(c.Batch, c.Dim, 1, N, c.Groups);
        var o = new SelectiveStateUpdateOptions(c.Softplus);
        var state = x.H0 is null ? new float[bd * N] : (float[])x.H0.Clone();
        var bgn = c.Batch * c.Groups * N;
        for (int t = 0; t < L; t++)
        {
            float[] At(float[] a, int rows) => Enumerable.Range(0, rows).Select(r => a[r * L + t]).ToArray();
            var step = new SelectiveStateUpdateInputs<float>
            {
                State = state, X = At(x.U, bd), Dt = At(x.Delta, bd), A = x.A, B = At(x.B, bgn),
                C = At(x.C, bgn), D = x.D, Z = x.Z is null ? null : At(x.Z, bd), DtBias = x.DeltaBias,
            };
            var yt = new float[bd];
            SelectiveStateUpdate.Cpu.Step(shape, o, step, yt, state);
            for (int r = 0; r < bd; r++)
                Assert.True(Math.Abs(yt[r] - y[r * L + t]) <= 1e-5 + 1e-4 * Math.Abs(y[r * L + t]),
                    $"token {t} row {r}: step {yt[r]}, scan {y[r * L + t]}");
        }
        ScanAssert.Close("last_state", ScanAssert.ToDouble(state), ScanAssert.ToDouble(last), 1e-5, 1e-4);
    }

    private static void Check(GoldenCase golden, string name, double[] got, Tolerance tol)
    {
        Assert.True(golden.Has(name), $"{golden.Case}: golden has no {name}");
        ScanAssert.Close($"{golden.Case} {name}", got, ScanAssert.ToDouble(golden.Get(name).Data), tol.Atol, tol.Rtol);
    }

    private static SelectiveStateUpdateInputs<double> ToDouble(SelectiveStateUpdateInputs<float> x) => new()
    {
        State = ScanAssert.ToDouble(x.State), X = ScanAssert.ToDouble(x.X), Dt = ScanAssert.ToDouble(x.Dt),
        A = ScanAssert.ToDouble(x.A), B = ScanAssert.ToDouble(x.B), C = ScanAssert.ToDouble(x.C),
        D = ScanAssert.ToDoubleOrNull(x.D), Z = ScanAssert.ToDoubleOrNull(x.Z),
        DtBias = ScanAssert.ToDoubleOrNull(x.DtBias),
    };

    private static SelectiveStateUpdateInputs<float> ToFloat(SelectiveStateUpdateInputs<double> x) => new()
    {
        State = ScanAssert.ToFloat(x.State), X = ScanAssert.ToFloat(x.X), Dt = ScanAssert.ToFloat(x.Dt),
        A = ScanAssert.ToFloat(x.A), B = ScanAssert.ToFloat(x.B), C = ScanAssert.ToFloat(x.C),
        D = ScanAssert.ToFloatOrNull(x.D), Z = ScanAssert.ToFloatOrNull(x.Z),
        DtBias = ScanAssert.ToFloatOrNull(x.DtBias),
    };

    private static IEnumerable<(string, T[])> Named<T>(SelectiveStateUpdateGrads<T> g) where T : unmanaged =>
        Named(new SelectiveStateUpdateInputs<T>
        {
            State = g.State, X = g.X, Dt = g.Dt, A = g.A, B = g.B, C = g.C, D = g.D, Z = g.Z, DtBias = g.DtBias,
        });

    private static IEnumerable<(string, T[])> Named<T>(SelectiveStateUpdateInputs<T> x) where T : unmanaged
    {
        yield return ("state", x.State);
        yield return ("x", x.X);
        yield return ("dt", x.Dt);
        yield return ("A", x.A);
        yield return ("B", x.B);
        yield return ("C", x.C);
        if (x.D is not null) yield return ("D", x.D);
        if (x.Z is not null) yield return ("z", x.Z);
        if (x.DtBias is not null) yield return ("dt_bias", x.DtBias);
    }
}
