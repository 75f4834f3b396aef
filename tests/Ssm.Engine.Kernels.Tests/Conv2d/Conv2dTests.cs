using FsCheck;
using FsCheck.Fluent;
using Ssm.Engine.Kernels.Conv2d;
using Ssm.Engine.Testing;
using K = Ssm.Engine.Kernels.Conv2d.Conv2d;

namespace Ssm.Engine.Kernels.Tests.Conv2d;

public class Conv2dTests
{
    /// <summary>Random valid convolution configurations: dense, grouped and depthwise, with stride, padding,
    /// dilation, non-square kernels and images (the image always fits the dilated kernel).</summary>
    internal static Gen<(Conv2dShape Shape, bool Bias)> Configs() =>
        from batch in Gen.Choose(1, 2)
        from kind in Gen.Choose(0, 2)                                   // 0 dense, 1 grouped, 2 depthwise
        from cig in Gen.Choose(1, 3)
        from cog in Gen.Choose(1, 3)
        from groups in Gen.Choose(1, 3)
        from kh in Gen.Choose(1, 3)
        from kw in Gen.Choose(1, 3)
        from dh in Gen.Choose(1, 2)
        from dw in Gen.Choose(1, 2)
        from sh in Gen.Choose(1, 3)
        from sw in Gen.Choose(1, 2)
        from ph in Gen.Choose(0, 2)
        from pw in Gen.Choose(0, 2)
        from h in Gen.Choose(1, 6)
        from w in Gen.Choose(1, 12)                                 // wide enough for the vector loops
        from bias in Gen.Elements(false, true)
        select Make(batch, kind, cig, cog, groups, kh, kw, dh, dw, sh, sw, ph, pw, h, w, bias);

    private static (Conv2dShape, bool) Make(int batch, int kind, int cig, int cog, int groups, int kh, int kw,
        int dh, int dw, int sh, int sw, int ph, int pw, int h, int w, bool bias)
    {
        int g = kind == 0 ? 1 : groups, cin = kind == 2 ? groups : cig * g, cout = kind == 2 ? groups : cog * g;
        int hh = Math.Max(h, dh * (kh - 1) + 1), ww = Math.Max(w, dw * (kw - 1) + 1);
        var s = new Conv2dShape(batch, cin, hh, ww, cout, kh, kw)
        {
            StrideH = sh, StrideW = sw, PadH = ph, PadW = pw, DilationH = dh, DilationW = dw, Groups = g,
        };
        return (s, bias);
    }

    internal static float[] Rand(Random r, long n) =>
        Enumerable.Range(0, (int)n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();

    [Fact]
    public void Forward_MatchesHandComputedCrossCorrelation()
    {
        // x 1×1×3×3 = 1..9, kernel 2×2 [[1, 0], [0, -1]], padding 0 → y[i,j] = x[i,j] − x[i+1,j+1] = −4.
        var s = new Conv2dShape(1, 1, 3, 3, 1, 2, 2);
        float[] x = [1, 2, 3, 4, 5, 6, 7, 8, 9], w = [1, 0, 0, -1], y = new float[4], yr = new float[4];
        K.Cpu.Forward(s, x, w, [0.5f], y);
        K.Reference.Forward<float>(s, x, w, [0.5f], yr);
        Assert.Equal([-3.5f, -3.5f, -3.5f, -3.5f], y);
        Assert.Equal(y, yr);
    }

    [Fact]
    public void Forward_PaddedDepthwise_ReadsZerosOutsideTheImage()
    {
        // 3×3 ones kernel, padding 1 on a 2×2 image of ones: every output sees the 4 pixels.
        var s = new Conv2dShape(1, 1, 2, 2, 1, 3, 3) { PadH = 1, PadW = 1, Groups = 1 };
        var y = new float[4];
        K.Cpu.Forward(s, [1, 1, 1, 1], Enumerable.Repeat(1f, 9).ToArray(), [], y);
        Assert.Equal([4f, 4f, 4f, 4f], y);
    }

    [Fact]
    public void CpuForwardBackward_MatchReference_OnRandomConfigs()
    {
        TensorGen.ForAll(Configs(), c =>
        {
            var (s, hasBias) = c;
            var r = new Random(s.GetHashCode());
            float[] x = Rand(r, s.XLength), w = Rand(r, s.WeightLength), dy = Rand(r, s.YLength);
            float[] bias = hasBias ? Rand(r, s.OutChannels) : [];
            float[] y = new float[s.YLength], yr = new float[s.YLength];
            K.Cpu.Forward(s, x, w, bias, y);
            K.Reference.Forward<float>(s, x, w, bias, yr);
            Close(yr, y, $"y {s}");
            float[] dx = new float[x.Length], dw = new float[w.Length], db = new float[hasBias ? s.OutChannels : 0];
            float[] dxr = new float[x.Length], dwr = new float[w.Length], dbr = new float[db.Length];
            K.Cpu.Backward(s, x, w, dy, dx, dw, db);
            K.Reference.Backward<float>(s, x, w, dy, dxr, dwr, dbr);
            Close(dxr, dx, $"dx {s}");
            Close(dwr, dw, $"dweight {s}");
            Close(dbr, db, $"dbias {s}");
        }, seed: 20261123, count: 60);
    }

    [Fact]
    public void CpuBackward_SkipsEmptyGradients()
    {
        var s = new Conv2dShape(2, 4, 5, 5, 4, 3, 3) { PadH = 1, PadW = 1, Groups = 4 };
        var r = new Random(3);
        float[] x = Rand(r, s.XLength), w = Rand(r, s.WeightLength), dy = Rand(r, s.YLength);
        float[] dx = new float[x.Length], dxr = new float[x.Length], dwr = new float[w.Length];
        K.Cpu.Backward(s, x, w, dy, dx, [], []);
        K.Reference.Backward<float>(s, x, w, dy, dxr, dwr, []);
        Close(dxr, dx, "dx only");
    }

    [Fact]
    public void ForwardBackward_LargeDepthwiseAndDense_MatchReference_OnManyThreads()
    {
        foreach (int groups in new[] { 1, 16 })
        {
            var s = new Conv2dShape(2, 16, 20, 24, 16, 3, 3) { PadH = 1, PadW = 1, Groups = groups };
            var r = new Random(groups);
            float[] x = Rand(r, s.XLength), w = Rand(r, s.WeightLength), b = Rand(r, 16);
            float[] y = new float[s.YLength], yr = new float[s.YLength];
            K.Cpu.Forward(s, x, w, b, y, threads: 4);
            K.Reference.Forward<float>(s, x, w, b, yr);
            Close(yr, y, $"groups {groups}");
            float[] dx = new float[x.Length], dw = new float[w.Length], db = new float[16];
            float[] dxr = new float[x.Length], dwr = new float[w.Length], dbr = new float[16];
            K.Cpu.Backward(s, x, w, yr, dx, dw, db, threads: 4);
            K.Reference.Backward<float>(s, x, w, yr, dxr, dwr, dbr);
            Close(dxr, dx, $"dx groups {groups}");
            Close(dwr, dw, $"dweight groups {groups}");
            Close(dbr, db, $"dbias groups {groups}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void PointwiseConv_SkipsIm2Col_AndMatchesReference(int groups)
    {
        var s = new Conv2dShape(2, 4, 3, 5, 6, 1, 1) { Groups = groups };
        var r = new Random(groups);
        float[] x = Rand(r, s.XLength), w = Rand(r, s.WeightLength), b = Rand(r, 6), dy = Rand(r, s.YLength);
        float[] y = new float[s.YLength], yr = new float[s.YLength];
        K.Cpu.Forward(s, x, w, b, y);
        K.Reference.Forward<float>(s, x, w, b, yr);
        Close(yr, y, "y");
        float[] dx = new float[x.Length], dw = new float[w.Length];
        float[] dxr = new float[x.Length], dwr = new float[w.Length];
        K.Cpu.Backward(s, x, w, dy, dx, dw, []);
        K.Reference.Backward<float>(s, x, w, dy, dxr, dwr, []);
        Close(dxr, dx, "dx");
        Close(dwr, dw, "dweight");
    }

    [Fact]
    public void Validate_RejectsBadSizes_NamingTheTensor()
    {
        var s = new Conv2dShape(1, 2, 4, 4, 2, 3, 3);
        var e = Assert.Throws<ArgumentException>(
            () => K.Cpu.Forward(s, new float[31], new float[36], [], new float[8]));
        Assert.Contains("[conv2d] x", e.Message);
        var g = Assert.Throws<ArgumentException>(() => K.Validate(s with { Groups = 3 }, 32, 36, 0, 8));
        Assert.Contains("groups", g.Message);
        var k = Assert.Throws<ArgumentException>(() => K.Validate(new Conv2dShape(1, 1, 2, 2, 1, 3, 3), 4, 9, 0, 0));
        Assert.Contains("does not fit", k.Message);
    }

    private static void Close(float[] want, float[] got, string what) =>
        TensorAssert.Close(want.Select(v => (double)v).ToArray(), got.Select(v => (double)v).ToArray(), 1e-5, 1e-5,
            what);
}
