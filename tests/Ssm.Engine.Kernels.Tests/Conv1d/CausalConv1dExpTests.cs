using System.Numerics;
using Ssm.Engine.Kernels.Conv1d;

namespace Ssm.Engine.Kernels.Tests.Conv1d;

public class CausalConv1dExpTests
{
    [Fact]
    public void ExpVec_MatchesMathExp_OverTheFloatRange()
    {
        int V = Vector<float>.Count;
        var buf = new float[V];
        double worst = 0;
        for (float x = -87f; x <= 88f; x += 0.0137f)
        {
            for (int i = 0; i < V; i++) buf[i] = x + i * 0.001f;
            var e = CausalConv1d.ExpVec(new Vector<float>(buf));
            for (int i = 0; i < V; i++)
            {
                double want = Math.Exp(buf[i]);
                worst = Math.Max(worst, Math.Abs(e[i] - want) / want);
            }
        }
        Assert.True(worst < 5e-7, $"max relative error {worst:E3}");
    }

    [Fact]
    public void ExpVec_SaturatesWithoutNaN_ForHugeInputs()
    {
        var e = CausalConv1d.ExpVec(new Vector<float>(-1000f));
        var f = CausalConv1d.ExpVec(new Vector<float>(1000f));
        Assert.True(e[0] >= 0 && e[0] < 1e-37f, $"exp(-1000) -> {e[0]}");
        Assert.True(float.IsFinite(f[0]) && f[0] > 1e38f, $"exp(1000) -> {f[0]}");
    }
}
