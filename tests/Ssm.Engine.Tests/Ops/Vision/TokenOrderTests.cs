using FsCheck;
using FsCheck.Fluent;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Tests.Ops.Vision;

public class TokenOrderTests
{
    private static Tensor R(int seed, params int[] shape) => Tensor.Randn(shape, seed, DType.Float64);

    private sealed record Grid(int B, int C, int H, int W, bool ImageCf, bool ScanCf, int Seed);

    private static Gen<Grid> Grids() =>
        from b in Gen.Choose(1, 2)
        from c in Gen.Choose(1, 3)
        from h in Gen.Choose(1, 5)
        from w in Gen.Choose(1, 5)
        from icf in Gen.Elements(false, true)
        from scf in Gen.Elements(false, true)
        from seed in TensorGen.Seed()
        select new Grid(b, c, h, w, icf, scf, seed);

    private static Tensor Image(Grid g, int seed) =>
        g.ImageCf ? R(seed, g.B, g.C, g.H, g.W) : R(seed, g.B, g.H, g.W, g.C);

    private static Tensor Scan(Grid g, int seed) =>
        g.ScanCf ? R(seed, g.B, 4, g.C, g.H * g.W) : R(seed, g.B, g.H * g.W, 4, g.C);

    /// <summary>The spec's index map (FORMAT.md 4.13): position read by direction k at sequence index l.</summary>
    private static int P(int k, int l, int h, int w)
    {
        int t = k >= 2 ? h * w - 1 - l : l;
        return k % 2 == 0 ? t : t % h * w + t / h;
    }

    [Fact]
    public void CrossScan_FollowsTheFourDirectionIndexMap()
    {
        TensorGen.ForAll(Grids(), g =>
        {
            var x = Image(g, g.Seed);
            var y = F.CrossScan(x, g.ImageCf, g.ScanCf);
            for (int b = 0; b < g.B; b++)
            for (int k = 0; k < 4; k++)
            for (int c = 0; c < g.C; c++)
            for (int l = 0; l < g.H * g.W; l++)
            {
                int p = P(k, l, g.H, g.W), hh = p / g.W, ww = p % g.W;
                double want = g.ImageCf ? x[b, c, hh, ww] : x[b, hh, ww, c];
                Assert.Equal(want, g.ScanCf ? y[b, k, c, l] : y[b, l, k, c]);
            }
        }, seed: 31, count: 20);
    }

    [Fact]
    public void CrossMerge_IsTheAdjointOfCrossScan()
    {
        TensorGen.ForAll(Grids(), g =>
        {
            var x = Image(g, g.Seed);
            var y = Scan(g, g.Seed + 1);
            double lhs = F.Sum(F.Mul(F.CrossScan(x, g.ImageCf, g.ScanCf), y)).Item();
            var merged = F.CrossMerge(y, g.H, g.W, g.ImageCf, g.ScanCf);
            Assert.Equal(g.ImageCf ? [g.B, g.C, g.H * g.W] : new[] { g.B, g.H * g.W, g.C }, merged.Shape);
            double rhs = F.Sum(F.Mul(x.Reshape(merged.Shape), merged)).Item();
            Assert.Equal(lhs, rhs, 10);
        }, seed: 32, count: 30);
    }

    [Fact]
    public void CrossScanAndMerge_GradientsMatchFiniteDifferences()
    {
        TensorGen.ForAll(Grids(), g =>
        {
            GradCheck.Check(t => F.CrossScan(t, g.ImageCf, g.ScanCf), Image(g, g.Seed), op: $"cross_scan {g}");
            GradCheck.Check(t => F.CrossMerge(t, g.H, g.W, g.ImageCf, g.ScanCf), Scan(g, g.Seed),
                op: $"cross_merge {g}");
        }, seed: 33, count: 8);
    }

    [Fact]
    public void CrossMerge_AcceptsFiveDimensionalGridInput()
    {
        var y = R(40, 2, 4, 3, 2, 5);
        TensorAssert.Equal(F.CrossMerge(y.Reshape(2, 4, 3, 10), 2, 5), F.CrossMerge(y, 2, 5));
        var ycl = R(41, 2, 2, 5, 4, 3);
        TensorAssert.Equal(F.CrossMerge(ycl.Reshape(2, 10, 4, 3), 2, 5, false, false),
            F.CrossMerge(ycl, 2, 5, false, false));
    }

    [Fact]
    public void FlipTokens_IsAViewThatReversesTheSequence()
    {
        var x = R(42, 2, 5, 3);
        var f = F.FlipTokens(x);
        Assert.Same(x.Storage, f.Storage);
        Assert.Equal(x[1, 0, 2], f[1, 4, 2]);
        TensorAssert.Equal(x, F.FlipTokens(f));
        GradCheck.Check(t => F.FlipTokens(t), x, op: "flip_tokens");
    }

    [Fact]
    public void TransposeGrid_SwapsRowAndColumnMajorOrder()
    {
        var x = R(43, 2, 12, 3);                                 // H = 3, W = 4
        var t = F.TransposeGrid(x, 3, 4);
        for (int h = 0; h < 3; h++)
        for (int w = 0; w < 4; w++) Assert.Equal(x[1, h * 4 + w, 2], t[1, w * 3 + h, 2]);
        TensorAssert.Equal(x, F.TransposeGrid(t, 4, 3));
        GradCheck.Check(v => F.TransposeGrid(v, 3, 4), x, op: "transpose_grid");
    }

    [Fact]
    public void ClassToken_InsertAndExtract_InvertEachOther()
    {
        TensorGen.ForAll(
            from b in Gen.Choose(1, 3) from m in Gen.Choose(1, 6) from d in Gen.Choose(1, 4)
            from pos in Gen.Choose(0, 6) from seed in TensorGen.Seed() select (b, m, d, Math.Min(pos, m), seed),
            v =>
            {
                var tokens = R(v.seed, v.b, v.m, v.d);
                var cls = R(v.seed + 1, 1, 1, v.d);
                var x = F.InsertClassToken(tokens, cls, v.Item4);
                Assert.Equal([v.b, v.m + 1, v.d], x.Shape);
                var (c, rest) = F.ExtractClassToken(x, v.Item4);
                TensorAssert.Equal(tokens, rest);
                TensorAssert.Equal(cls.Reshape(1, v.d).Expand(v.b, v.d), c);
            }, seed: 34, count: 25);
        GradCheck.Check(xs => F.InsertClassToken(xs[0], xs[1], 2), [R(44, 2, 4, 3), R(45, 1, 1, 3)],
            op: "insert_class_token");
        GradCheck.Check(t => F.ExtractClassToken(t, 1).Tokens, R(46, 2, 4, 3), op: "extract_class_token rest");
        GradCheck.Check(t => F.ExtractClassToken(t, 3).ClassToken, R(47, 2, 4, 3), op: "extract_class_token cls");
    }
}
