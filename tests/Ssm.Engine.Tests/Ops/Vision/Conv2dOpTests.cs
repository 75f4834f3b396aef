using FsCheck;
using FsCheck.Fluent;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Tests.Ops.Vision;

public class Conv2dOpTests
{
    private static Tensor R(int seed, params int[] shape) => Tensor.Randn(shape, seed, DType.Float64);

    private sealed record Cfg(int B, int Cin, int Cout, int G, int H, int W, int Kh, int Kw, int S, int P, int D,
        bool Bias, int Seed);

    private static Gen<Cfg> Configs() =>
        from b in Gen.Choose(1, 2)
        from kind in Gen.Choose(0, 2)
        from g in Gen.Choose(1, 2)
        from cig in Gen.Choose(1, 2)
        from cog in Gen.Choose(1, 2)
        from kh in Gen.Choose(1, 3)
        from kw in Gen.Choose(1, 3)
        from s in Gen.Choose(1, 2)
        from p in Gen.Choose(0, 1)
        from d in Gen.Choose(1, 2)
        from h in Gen.Choose(1, 4)
        from w in Gen.Choose(1, 4)
        from bias in Gen.Elements(false, true)
        from seed in TensorGen.Seed()
        select kind switch
        {
            0 => new Cfg(b, cig, cog, 1, Math.Max(h, d * (kh - 1) + 1), Math.Max(w, d * (kw - 1) + 1), kh, kw, s, p,
                d, bias, seed),
            1 => new Cfg(b, cig * g, cog * g, g, Math.Max(h, d * (kh - 1) + 1), Math.Max(w, d * (kw - 1) + 1), kh, kw,
                s, p, d, bias, seed),
            _ => new Cfg(b, g + 1, g + 1, g + 1, Math.Max(h, d * (kh - 1) + 1), Math.Max(w, d * (kw - 1) + 1), kh,
                kw, s, p, d, bias, seed),
        };

    [Fact]
    public void Gradients_MatchFiniteDifferences_OnRandomConfigs()
    {
        TensorGen.ForAll(Configs(), c =>
        {
            Tensor[] inputs = c.Bias
                ? [R(c.Seed, c.B, c.Cin, c.H, c.W), R(c.Seed + 1, c.Cout, c.Cin / c.G, c.Kh, c.Kw),
                    R(c.Seed + 2, c.Cout)]
                : [R(c.Seed, c.B, c.Cin, c.H, c.W), R(c.Seed + 1, c.Cout, c.Cin / c.G, c.Kh, c.Kw)];
            GradCheck.Check(xs => F.Conv2d(xs[0], xs[1], c.Bias ? xs[2] : null, c.S, c.P, c.D, c.G), inputs,
                op: $"conv2d {c}");
        }, seed: 7, count: 15);
    }

    [Fact]
    public void Float32_MatchesFloat64_ForwardAndBackward()
    {
        TensorGen.ForAll(Configs(), c =>
        {
            var x = R(c.Seed, c.B, c.Cin, c.H, c.W);
            var w = R(c.Seed + 1, c.Cout, c.Cin / c.G, c.Kh, c.Kw);
            var b = R(c.Seed + 2, c.Cout);
            var (y64, g64) = Run(x, w, b, c);
            var (y32, g32) = Run(x.To(DType.Float32), w.To(DType.Float32), b.To(DType.Float32), c);
            TensorAssert.Close(y64, y32, 1e-4, 1e-4, "y");
            for (int i = 0; i < 3; i++) TensorAssert.Close(g64[i], g32[i], 1e-4, 1e-4, $"grad {i}");
        }, seed: 11, count: 20);
    }

    private static (Tensor, Tensor[]) Run(Tensor x, Tensor w, Tensor b, Cfg c)
    {
        Tensor[] leaves = [x.Detach().WithRequiresGrad(), w.Detach().WithRequiresGrad(), b.Detach().WithRequiresGrad()];
        var y = F.Conv2d(leaves[0], leaves[1], leaves[2], c.S, c.P, c.D, c.G);
        F.Sum(F.Mul(y, y)).Backward();
        return (y.Detach(), leaves.Select(l => l.Grad!).ToArray());
    }

    [Fact]
    public void Conv2d_AcceptsStridedViews_AndAsymmetricOptions()
    {
        var x = R(1, 1, 6, 7, 2).Permute(0, 3, 1, 2);            // (1, 2, 6, 7) channel-first view
        var w = R(2, 4, 2, 3, 2);
        var y = F.Conv2d(x, w, null, (2, 1), (1, 0), (1, 2));
        Assert.Equal([1, 4, 3, 5], y.Shape);                   // Ho = (6+2−2−1)/2+1, Wo = (7−2−1)+1
        var yc = F.Conv2d(x.Contiguous(), w, null, (2, 1), (1, 0), (1, 2));
        TensorAssert.Close(yc, y, 0, 0);
        GradCheck.Check(xs => F.Conv2d(xs[0].Permute(0, 3, 1, 2), xs[1], null, (2, 1), (1, 0), (1, 2)),
            [R(1, 1, 6, 7, 2), w], op: "conv2d asym");
    }

    [Fact]
    public void Conv2d_RejectsMismatchedChannels()
    {
        var e = Assert.Throws<ArgumentException>(() => F.Conv2d(R(1, 1, 3, 4, 4), R(2, 2, 2, 3, 3)));
        Assert.Contains("[conv2d]", e.Message);
    }
}
