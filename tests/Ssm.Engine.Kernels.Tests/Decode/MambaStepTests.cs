using Ssm.Engine.Kernels.Decode;
using Xunit;

namespace Ssm.Engine.Kernels.Tests.Decode;

public class MambaStepTests
{
    private static float[] Fill(Random rng, int n, double lo, double hi) =>
        [.. Enumerable.Range(0, n).Select(_ => (float)(lo + (hi - lo) * rng.NextDouble()))];

    private static void Close(float[] want, float[] got, double tol)
    {
        Assert.Equal(want.Length, got.Length);
        double scale = want.Max(v => Math.Abs((double)v)) + 1e-30;
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(want[i] - got[i]) <= tol * scale, $"[{i}] want {want[i]} got {got[i]}");
    }

    [Theory]
    [InlineData(37, 4, true, 1)]
    [InlineData(64, 3, false, 2)]
    [InlineData(5, 1, true, 3)]
    public void Conv_MatchesReference_OverSeveralSteps(int d, int k, bool bias, int seed)
    {
        var rng = new Random(seed);
        float[] w = Fill(rng, d * k, -1, 1), b = bias ? Fill(rng, d, -0.5, 0.5) : [];
        float[] bufRef = Fill(rng, d * k, -1, 1), bufCpu = (float[])bufRef.Clone();
        for (int step = 0; step < 5; step++)
        {
            float[] xRef = Fill(rng, d, -2, 2), xCpu = (float[])xRef.Clone();
            MambaStep.Reference.Conv(d, k, bufRef, w, b, xRef);
            MambaStep.Cpu.Conv(d, k, bufCpu, w, b, xCpu);
            Close(xRef, xCpu, 1e-5);
            Close(bufRef, bufCpu, 0);
        }
    }

    [Theory]
    [InlineData(4, 16, 16, 1, 1, 1)]
    [InlineData(6, 5, 13, 2, 2, 2)]
    [InlineData(3, 7, 9, 3, 0, 3)]
    public void Heads_MatchesReference_OverSeveralSteps(int h, int p, int n, int g, int dMode, int seed)
    {
        var rng = new Random(seed);
        float[] a = Fill(rng, h, -3, -0.1), dtBias = Fill(rng, h, -1, 0.5);
        float[] dskip = dMode == 0 ? [] : Fill(rng, dMode == 1 ? h : h * p, -1, 1);
        float[] stRef = Fill(rng, h * p * n, -1, 1), stCpu = (float[])stRef.Clone();
        for (int step = 0; step < 4; step++)
        {
            float[] x = Fill(rng, h * p, -1, 1), dt = Fill(rng, h, -3, 25), b = Fill(rng, g * n, -1, 1);
            float[] c = Fill(rng, g * n, -1, 1), yRef = new float[h * p], yCpu = new float[h * p];
            MambaStep.Reference.Heads(h, p, n, g, stRef, a, x, dt, dtBias, dskip, b, c, yRef);
            MambaStep.Cpu.Heads(h, p, n, g, stCpu, a, x, dt, dtBias, dskip, b, c, yCpu);
            Close(yRef, yCpu, 1e-5);
            Close(stRef, stCpu, 1e-5);
        }
    }

    [Theory]
    [InlineData(48, 16, 1)]
    [InlineData(30, 30, 2)]
    [InlineData(21, 7, 3)]
    public void GatedNorm_MatchesReference_InPlaceToo(int d, int groupSize, int seed)
    {
        var rng = new Random(seed);
        float[] y = Fill(rng, d, -2, 2), z = Fill(rng, d, -3, 3), w = Fill(rng, d, 0.5, 1.5);
        float[] want = new float[d], got = (float[])y.Clone();
        MambaStep.Reference.GatedNorm(y, z, w, want, groupSize, 1e-5);
        MambaStep.Cpu.GatedNorm(got, z, w, got, groupSize, 1e-5);
        Close(want, got, 1e-5);
    }

    [Fact]
    public void Heads_RejectsGroupsThatDoNotDivideHeads()
    {
        var e = Assert.Throws<ArgumentException>(() => MambaStep.Cpu.Heads(3, 2, 4, 2, new float[24], new float[3],
            new float[6], new float[3], new float[3], [], new float[8], new float[8], new float[6]));
        Assert.Contains("G dividing H", e.Message);
    }

    [Theory]
    [InlineData(48, 16, 1)]
    [InlineData(7, 13, 2)]
    [InlineData(3, 128, 3)]
    public void Ssm_MatchesReference_OverSeveralSteps(int d, int n, int seed)
    {
        var rng = new Random(seed);
        float[] a = Fill(rng, d * n, -3, -0.1), dtBias = Fill(rng, d, -1, 0.5), dskip = Fill(rng, d, -1, 1);
        float[] stRef = Fill(rng, d * n, -1, 1), stCpu = (float[])stRef.Clone();
        for (int step = 0; step < 4; step++)
        {
            float[] x = Fill(rng, d, -1, 1), dt = Fill(rng, d, -3, 25), b = Fill(rng, n, -1, 1);
            float[] c = Fill(rng, n, -1, 1), z = Fill(rng, d, -2, 2), yRef = new float[d], yCpu = new float[d];
            MambaStep.Reference.Ssm(d, n, stRef, a, x, dt, dtBias, dskip, b, c, z, yRef);
            MambaStep.Cpu.Ssm(d, n, stCpu, a, x, dt, dtBias, dskip, b, c, z, yCpu);
            Close(yRef, yCpu, 1e-5);
            Close(stRef, stCpu, 1e-5);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AddNorm_MatchesReference(bool first)
    {
        var rng = new Random(7);
        float[] h = Fill(rng, 33, -2, 2), w = Fill(rng, 33, 0.5, 1.5);
        float[] rRef = Fill(rng, 33, -1, 1), rCpu = (float[])rRef.Clone(), oRef = new float[33], oCpu = new float[33];
        MambaStep.Reference.AddNorm(h, rRef, w, oRef, 1e-5, first);
        MambaStep.Cpu.AddNorm(h, rCpu, w, oCpu, 1e-5, first);
        Close(rRef, rCpu, 0);
        Close(oRef, oCpu, 1e-5);
    }

    [Fact]
    public void ShortSpans_AreRejected_WithTheTensorName()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            MambaStep.Cpu.Ssm(4, 2, new float[7], new float[8], new float[4], new float[4], new float[4],
                new float[4], new float[2], new float[2], new float[4], new float[4]));
        Assert.Contains("[mamba_step] state", e.Message);
        var c = Assert.Throws<ArgumentException>(() =>
            MambaStep.Cpu.Conv(4, 3, new float[12], new float[11], [], new float[4]));
        Assert.Contains("weight", c.Message);
    }
}
