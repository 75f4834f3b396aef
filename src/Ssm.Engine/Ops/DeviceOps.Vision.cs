// The vision ops on ILGPU devices: 2-D convolution (forward and backward through Conv2d.Gpu) and VMamba's
// cross-scan / cross-merge as strided device copies and adds. Differentiable: every backward runs on the device.
using Ssm.Engine.Autograd;
using Ssm.Engine.Kernels.Conv2d;
using Ssm.Engine.Tensors;
using DeviceRegistry = Ssm.Engine.Devices.DeviceRegistry;

namespace Ssm.Engine.Ops;

internal static partial class DeviceOps
{
    /// <summary>x (B, Cin, H, W), weight (Cout, Cin/G, Kh, Kw), bias (Cout) → y (B, Cout, Ho, Wo) with
    /// <c>Conv2d.Gpu</c>; the backward gives dx, dweight and dbias with the same kernels' backward.</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, Conv2dShape s)
    {
        const string op = "conv2d";
        var gpu = SharedDevice(op, x, weight, bias);
        var y = Tensor.ZerosOn(x.Device, [s.Batch, s.OutChannels, s.OutHeight, s.OutWidth]);
        using (var v = new Operands(op, gpu))
        {
            Kernels.Conv2d.Conv2d.Gpu.Forward(gpu, s, v.View(x), v.View(weight), v.View(bias), y.DeviceView(op));
            gpu.Synchronize();
        }
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Tape.Record(y, op, inputs, g =>
        {
            var dx = x.RequiresGrad ? Tensor.ZerosOn(x.Device, x.Shape.ToArray()) : null;
            var dw = weight.RequiresGrad ? Tensor.ZerosOn(x.Device, weight.Shape.ToArray()) : null;
            var db = bias is { RequiresGrad: true } ? Tensor.ZerosOn(x.Device, bias.Shape.ToArray()) : null;
            using (var v = new Operands(op, gpu))
            {
                Kernels.Conv2d.Conv2d.Gpu.Backward(gpu, s, v.View(x), v.View(weight), v.View(g), v.View(dx),
                    v.View(dw), v.View(db));
                gpu.Synchronize();
            }
            return bias is null ? [dx, dw] : [dx, dw, db];
        });
    }

    /// <summary>Checks that every present operand lives on the device of <paramref name="first"/> (gradients
    /// allowed: the caller records a device backward) and returns that device.</summary>
    internal static Kernels.Gpu.GpuDevice SharedDevice(string op, Tensor first, params Tensor?[] rest)
    {
        foreach (var t in rest)
            if (t is not null) SameDevice(op, first, t);
        return DeviceRegistry.Get(first.Device);
    }

    /// <summary>Cross-scan of a device image (no autograd: the caller records). x (B, C, H, W) when
    /// <paramref name="imageCf"/> else (B, H, W, C) → (B, 4, C, L) when <paramref name="scanCf"/> else
    /// (B, L, 4, C): direction k is one strided copy of the (transposed for odd k, flipped for k ≥ 2) image into
    /// its slot.</summary>
    public static Tensor CrossScan(Tensor x, int b, int c, int h, int w, bool imageCf, bool scanCf)
    {
        const string op = "cross_scan";
        CheckF32(op, x, "x");
        var y = Tensor.ZerosOn(x.Device, scanCf ? [b, 4, c, h * w] : [b, h * w, 4, c]);
        var img = imageCf ? x.Detach() : x.Detach().Permute(0, 3, 1, 2);      // (B, C, H, W) view
        for (int k = 0; k < 4; k++)
        {
            var src = (k & 1) == 1 ? img.Transpose(2, 3) : img;                 // (B, C, H, W) or (B, C, W, H)
            if (k >= 2) src = src.Flip(2, 3);
            CopyInto(op, src, ScanSlot(y, k, b, c, h, w, scanCf));
        }
        return y;
    }

    /// <summary>Cross-merge of a device scan tensor y (B, 4, C, L) when <paramref name="scanCf"/> else
    /// (B, L, 4, C) → (B, C, L) when <paramref name="imageCf"/> else (B, L, C) (no autograd: the caller records):
    /// the four direction slots are viewed back on the image grid and added.</summary>
    public static Tensor CrossMerge(Tensor y, int b, int c, int h, int w, bool imageCf, bool scanCf)
    {
        const string op = "cross_merge";
        CheckF32(op, y, "y");
        var gpu = DeviceRegistry.Get(y.Device);
        var yd = Dense(op, y.Detach());
        var grid = new Tensor[4];
        for (int k = 0; k < 4; k++)
        {
            var v = ScanSlot(yd, k, b, c, h, w, scanCf);                         // as written by CrossScan
            if (k >= 2) v = v.Flip(2, 3);
            if ((k & 1) == 1) v = v.Transpose(2, 3);                             // (B, C, H, W) grid view
            grid[k] = imageCf ? v : v.Permute(0, 2, 3, 1);                       // or (B, H, W, C)
        }
        var acc = Zip<AddOp>(op, grid[0], grid[1]);
        for (int k = 2; k < 4; k++)
        {
            var next = Zip<AddOp>(op, acc, grid[k]);
            gpu.Synchronize();
            acc.Dispose();
            acc = next;
        }
        using (Temporary(gpu, y, yd)) { }
        return acc.Reshape(imageCf ? [b, c, h * w] : [b, h * w, c]);
    }

    /// <summary>The slot of direction <paramref name="k"/> in a contiguous scan tensor, as a (B, C, A1, A2) view
    /// with (A1, A2) = (H, W) for even k and (W, H) for odd k (token l = a1·A2 + a2).</summary>
    private static Tensor ScanSlot(Tensor y, int k, int b, int c, int h, int w, bool scanCf)
    {
        int l = h * w, a1 = (k & 1) == 0 ? h : w, a2 = (k & 1) == 0 ? w : h;
        int sk = scanCf ? c * l : c, sc = scanCf ? l : 1, sl = scanCf ? 1 : 4 * c;
        return new Tensor(y.Storage, [b, c, a1, a2], [4 * c * l, sc, a2 * sl, sl], y.Offset + k * sk);
    }
}
