namespace Ssm.Engine.Conformance.Tests;

public class TensorComparisonTests
{
    [Fact]
    public void MaxErrAndBound_MatchTheDefinition_OnRandomTensors()
    {
        var rng = new Random(20261123);
        for (int trial = 0; trial < 200; trial++)
        {
            int n = rng.Next(1, 300);
            float[] golden = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 20 - 10)).ToArray();
            float[] got = golden.Select(g => g + (float)((rng.NextDouble() - 0.5) * 1e-3)).ToArray();
            var tol = new Tolerance(rng.NextDouble() * 1e-4, rng.NextDouble() * 1e-3);
            var r = TensorComparison.Compare("out.y", new HostArray([n], got), new HostArray([n], golden), tol);
            double maxErr = got.Zip(golden).Max(p => Math.Abs((double)p.First - p.Second));
            double bound = tol.Atol + tol.Rtol * golden.Max(g => Math.Abs((double)g));
            Assert.Equal(maxErr, r.MaxErr);
            Assert.Equal(bound, r.Tol, 1e-15);
            Assert.Equal(maxErr <= bound, r.Passed);
        }
    }

    [Fact]
    public void NaN_Fails_AndIsTheWorstTensor()
    {
        var tol = new Tolerance(1e-5, 1e-4);
        var nan = TensorComparison.Compare("grad.x", [1f, float.NaN], [1f, 2f], tol);
        var big = TensorComparison.Compare("out.y", [1f, 5f], [1f, 2f], tol);
        Assert.False(nan.Passed);
        Assert.True(double.IsNaN(nan.MaxErr));
        Assert.Same(nan, CaseOutcome.FromTensors([big, nan]).Worst);
        Assert.Equal(CaseStatus.Fail, CaseOutcome.FromTensors([big, nan]).Status);
    }

    [Fact]
    public void Infinity_InResult_Fails()
    {
        var r = TensorComparison.Compare("out.y", [float.PositiveInfinity], [1f], new Tolerance(1, 1));
        Assert.False(r.Passed);
    }

    [Fact]
    public void ZeroBound_PassesOnlyExactResults()
    {
        Assert.True(new TensorResult("ids", 0, 0).Passed);
        Assert.False(new TensorResult("ids", 1, 0).Passed);
        Assert.Equal(double.PositiveInfinity, new TensorResult("ids", 1, 0).Ratio);
    }

    [Fact]
    public void ShapeOrLengthMismatch_Throws()
    {
        Assert.Throws<InvalidDataException>(() => TensorComparison.Compare("out.y",
            new HostArray([2, 2], new float[4]), new HostArray([4], new float[4]), new Tolerance(0, 0)));
        Assert.Throws<InvalidDataException>(() =>
            TensorComparison.Compare("out.y", new float[3], new float[4], new Tolerance(0, 0)));
    }

    [Fact]
    public void NoTensors_IsAnError()
    {
        var o = CaseOutcome.FromTensors([]);
        Assert.Equal(CaseStatus.Fail, o.Status);
        Assert.Equal("no tensor was checked", o.Message);
    }
}
