using Ssm.Engine.Kernels.Conv2d;
using Ssm.Engine.Kernels.Gpu;
using K = Ssm.Engine.Kernels.Conv2d.Conv2d;

namespace Ssm.Engine.Kernels.Tests.Gpu;

/// <summary>Conv2d.Gpu on both CPU accelerators against the Reference loops, forward and all three gradients, within
/// the golden op tolerances (out: atol 1e-5, rtol 1e-4; grad: atol 1e-5, rtol 2e-4).</summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class Conv2dGpuTests(IlgpuCpuDevices devices)
{
    public static TheoryData<GpuDeviceKind> Kinds => IlgpuCpuDevices.Kinds;

    /// <summary>Dense, grouped with stride, padding and dilation, depthwise, and a patch embedding (stride = kernel).
    /// </summary>
    private static readonly Conv2dShape[] Shapes =
    [
        new(2, 3, 5, 4, 4, 3, 3) { PadH = 1, PadW = 1 },
        new(1, 4, 6, 7, 6, 2, 3) { StrideH = 2, PadW = 2, DilationW = 2, Groups = 2 },
        new(2, 5, 4, 5, 5, 3, 3) { PadH = 1, PadW = 1, Groups = 5 },
        new(1, 2, 6, 6, 3, 3, 3) { StrideH = 3, StrideW = 3 },
    ];

    [Theory, MemberData(nameof(Kinds))]
    public void ForwardAndBackward_MatchReference(GpuDeviceKind kind)
    {
        GpuDevice device = devices.Get(kind);
        int seed = 300;
        foreach (var s in Shapes)
        {
            int nx = (int)s.XLength, nw = (int)s.WeightLength, ny = (int)s.YLength;
            float[] x = Close.Random(seed++, nx), w = Close.Random(seed++, nw), b = Close.Random(seed++, s.OutChannels);
            float[] y0 = new float[ny], y1 = new float[ny];
            K.Reference.Forward<float>(s, x, w, b, y0);
            K.Gpu.Forward(device, s, x, w, b, y1);
            string at = $"{kind} {s}";
            Close.Assert(y1, y0, 1e-5, 1e-4, $"{at} y");
            K.Gpu.Forward(device, s, x, w, [], y1);
            K.Reference.Forward<float>(s, x, w, [], y0);
            Close.Assert(y1, y0, 1e-5, 1e-4, $"{at} y without bias");

            float[] dy = Close.Random(seed++, ny);
            float[] dx0 = new float[nx], dw0 = new float[nw], db0 = new float[s.OutChannels];
            float[] dx1 = new float[nx], dw1 = new float[nw], db1 = new float[s.OutChannels];
            K.Reference.Backward<float>(s, x, w, dy, dx0, dw0, db0);
            K.Gpu.Backward(device, s, x, w, dy, dx1, dw1, db1);
            Close.Assert(dx1, dx0, 1e-5, 2e-4, $"{at} dx");
            Close.Assert(dw1, dw0, 1e-5, 2e-4, $"{at} dweight");
            Close.Assert(db1, db0, 1e-5, 2e-4, $"{at} dbias");
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public void Backward_SkipsGradientsNotWanted(GpuDeviceKind kind)
    {
        GpuDevice device = devices.Get(kind);
        var s = Shapes[1];
        float[] x = Close.Random(1, (int)s.XLength), w = Close.Random(2, (int)s.WeightLength);
        float[] dy = Close.Random(3, (int)s.YLength), dw0 = new float[w.Length], dw1 = new float[w.Length];
        K.Reference.Backward<float>(s, x, w, dy, [], dw0, []);
        K.Gpu.Backward(device, s, x, w, dy, [], dw1, []);
        Close.Assert(dw1, dw0, 1e-5, 2e-4, $"{kind} dweight alone");
    }
}
