using Ssm.Engine.Kernels.Scan;

namespace Ssm.Engine.Kernels.Tests.Scan;

public class SelectiveScanBackwardIntoTests
{
    private static float[] Fill(Random rng, int n, float lo, float hi) =>
        [.. Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * rng.NextSingle())];

    private static (SelectiveScanShape, SelectiveScanInputs<float>, float[]) Case(bool variable)
    {
        var rng = new Random(3);
        var s = new SelectiveScanShape(2, 6, 19, 16, Groups: 2, VariableB: variable, VariableC: variable);
        var x = new SelectiveScanInputs<float>
        {
            U = Fill(rng, 2 * 6 * 19, -1, 1), Delta = Fill(rng, 2 * 6 * 19, -2, 0), A = Fill(rng, 6 * 16, -3, -0.1f),
            B = Fill(rng, (int)s.BLength, -1, 1), C = Fill(rng, (int)s.CLength, -1, 1), D = Fill(rng, 6, -1, 1),
            Z = Fill(rng, 2 * 6 * 19, -2, 2), DeltaBias = Fill(rng, 6, -1, 0), H0 = Fill(rng, 2 * 6 * 16, -1, 1),
        };
        return (s, x, Fill(rng, 2 * 6 * 19, -1, 1));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void IntoCallerGradients_Twice_EqualsAllocatingBackward(bool variable)
    {
        var (s, x, dy) = Case(variable);
        var o = new SelectiveScanOptions(DeltaSoftplus: true, Threads: 2);
        var want = SelectiveScan.Cpu.Backward(s, o, x, dy, null);
        var got = SelectiveScanGrads<float>.ZerosLike(x);
        SelectiveScan.Cpu.Backward(s, o, x, dy, null, got);
        SelectiveScan.Cpu.Backward(s, o, x, dy, null, got);   // accumulators must start from zero again
        Assert.Equal(want.U, got.U);
        Assert.Equal(want.Delta, got.Delta);
        Assert.Equal(want.A, got.A);
        Assert.Equal(want.B, got.B);
        Assert.Equal(want.C, got.C);
        Assert.Equal(want.D, got.D);
        Assert.Equal(want.Z, got.Z);
        Assert.Equal(want.DeltaBias, got.DeltaBias);
        Assert.Equal(want.H0, got.H0);
    }

    [Fact]
    public void IntoCallerGradients_OfTheWrongSize_Throws()
    {
        var (s, x, dy) = Case(true);
        var g = SelectiveScanGrads<float>.ZerosLike(x);
        var bad = new SelectiveScanGrads<float>
        {
            U = g.U, Delta = g.Delta, A = new float[3], B = g.B, C = g.C, D = g.D, Z = g.Z, DeltaBias = g.DeltaBias,
            H0 = g.H0,
        };
        var e = Assert.Throws<ArgumentException>(() => SelectiveScan.Cpu.Backward(s, new(), x, dy, null, bad));
        Assert.Contains("dA", e.Message);
    }
}
