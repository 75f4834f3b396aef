using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Tests.Ops.Vision;

public class NcSsdTests
{
    private static Tensor R(int seed, params int[] shape) => Tensor.Randn(shape, seed, DType.Float64);

    private static Tensor[] Inputs(int seed, int b, int l, int h, int p, int g, int n) =>
    [
        R(seed, b, l, h, p), F.Softplus(R(seed + 1, b, l, h)), F.Neg(F.Exp(R(seed + 2, h))),
        R(seed + 3, b, l, g * n), R(seed + 4, b, l, g * n), R(seed + 5, h),
    ];

    /// <summary>FORMAT.md 4.16 written as plain loops.</summary>
    private static double[] Naive(Tensor[] t, int g, bool positive)
    {
        var (x, dt, a, bm, cm, d) = (t[0], t[1], t[2], t[3], t[4], t[5]);
        int b = x.Shape[0], l = x.Shape[1], h = x.Shape[2], p = x.Shape[3], n = bm.Shape[2] / g;
        var y = new double[x.NumEl];
        for (int bi = 0; bi < b; bi++)
        for (int hi = 0; hi < h; hi++)
        {
            int gi = hi % g;
            var kv = new double[n, p];
            for (int li = 0; li < l; li++)
            {
                double av = (positive ? -1 : 1) * dt[bi, li, hi] * a[hi];
                for (int ni = 0; ni < n; ni++)
                for (int pi = 0; pi < p; pi++) kv[ni, pi] += bm[bi, li, gi * n + ni] * av * x[bi, li, hi, pi];
            }
            for (int li = 0; li < l; li++)
            for (int pi = 0; pi < p; pi++)
            {
                double s = d[hi] * x[bi, li, hi, pi];
                for (int ni = 0; ni < n; ni++) s += cm[bi, li, gi * n + ni] * kv[ni, pi];
                y[((bi * l + li) * h + hi) * p + pi] = s;
            }
        }
        return y;
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    public void NcSsd_MatchesTheDefinition_WithInterleavedGroups(int groups, bool positive)
    {
        var t = Inputs(50 + groups, 2, 7, 6, 3, groups, 4);
        var y = F.NcSsd(t[0], t[1], t[2], t[3], t[4], t[5], groups, positive);
        TensorAssert.Close(Naive(t, groups, positive), y.ToDoubleArray(), 1e-10, 1e-10);
    }

    [Fact]
    public void NcSsd_IsEquivariantToTokenPermutations()
    {
        var t = Inputs(60, 2, 9, 4, 2, 2, 3);
        var perm = Tensor.FromArray(new[] { 4, 0, 8, 2, 7, 1, 6, 3, 5 }, 9);
        var y = F.NcSsd(t[0], t[1], t[2], t[3], t[4], t[5], 2, true);
        Tensor P(Tensor v) => F.IndexSelect(v, 1, perm);
        var yp = F.NcSsd(P(t[0]), P(t[1]), t[2], P(t[3]), P(t[4]), t[5], 2, true);
        TensorAssert.Close(P(y), yp, 1e-10, 1e-10);
    }

    [Fact]
    public void NcSsd_Gradients_MatchFiniteDifferences()
    {
        GradCheck.Check(xs => F.NcSsd(xs[0], xs[1], xs[2], xs[3], xs[4], xs[5], 2, true),
            Inputs(70, 2, 5, 4, 3, 2, 2), op: "nc_ssd");
        var t = Inputs(71, 1, 4, 2, 2, 1, 3);
        GradCheck.Check(xs => F.NcSsd(xs[0], xs[1], xs[2], xs[3], xs[4], null, 1, false), t[..5], op: "nc_ssd no D");
    }
}
