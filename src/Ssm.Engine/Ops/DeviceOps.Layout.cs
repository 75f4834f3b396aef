// Layout ops on ILGPU devices: materialising strided views (permute, narrow, expand), broadcasting, concat and
// row gathers. Every copy runs on the device (ViewCopy kernel or device-to-device memcpy); nothing goes through the
// host.
using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Autograd;
using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Layout;
using Ssm.Engine.Tensors;
using DeviceRegistry = Ssm.Engine.Devices.DeviceRegistry;

namespace Ssm.Engine.Ops;

internal static partial class DeviceOps
{
    /// <summary>Copies the elements of device view <paramref name="src"/> into device view <paramref name="dst"/>
    /// (same shape, same device, any strides; they must not overlap). Not recorded by autograd.</summary>
    public static void CopyInto(string op, Tensor src, Tensor dst)
    {
        SameDevice(op, src, dst);
        CheckF32(op, src, "source");
        if (!src.Shape.AsSpan().SequenceEqual(dst.Shape))
            throw new ArgumentException(
                $"[{op}] shapes {ShapeUtil.Format(src.Shape)} and {ShapeUtil.Format(dst.Shape)} differ");
        if (src.NumEl == 0) return;
        if (src.Rank > ViewCopyLayout.MaxRank)
            throw Unsupported(op, src.Device, $"rank {src.Rank} views (at most {ViewCopyLayout.MaxRank} on devices)");
        var gpu = DeviceRegistry.Get(src.Device);
        ArrayView<float> sv = src.Storage.DeviceBuffer!.View, dv = dst.Storage.DeviceBuffer!.View;
        if (src.IsContiguous && dst.IsContiguous)
        {
            sv.SubView(src.Offset, src.NumEl).CopyTo(gpu.Stream, dv.SubView(dst.Offset, dst.NumEl));
            return;
        }
        var layout = new ViewCopyLayout(src.Shape, src.Strides, src.Offset, dst.Strides, dst.Offset);
        ViewCopy.Gpu.Copy(gpu, layout, sv, dv);
    }

    /// <summary>A new contiguous device tensor with the values of device view <paramref name="x"/> (no
    /// autograd); <paramref name="x"/> itself when already contiguous.</summary>
    public static Tensor Dense(string op, Tensor x)
    {
        if (x.IsContiguous) return x;
        var y = Tensor.ZerosOn(x.Device, x.Shape.ToArray());
        CopyInto(op, x, y);
        return y;
    }

    /// <summary><paramref name="t"/> broadcast to <paramref name="shape"/> as a contiguous device tensor (a stride-0
    /// view copied on the device); <paramref name="t"/> itself when it already is one.</summary>
    public static Tensor Broadcast(string op, Tensor t, int[] shape) =>
        t.Shape.AsSpan().SequenceEqual(shape) ? Dense(op, t) : Dense(op, t.Detach().ExpandInternal(shape));

    /// <summary>Concat of device tensors along axis <paramref name="a"/> into a new device tensor of
    /// <paramref name="shape"/> (no autograd: the caller records).</summary>
    public static Tensor Concat(Tensor[] xs, int a, int[] shape)
    {
        foreach (var t in xs) SameDevice("concat", xs[0], t);
        var y = Tensor.ZerosOn(xs[0].Device, shape);
        for (int i = 0, off = 0; i < xs.Length; off += xs[i].Shape[a], i++)
            CopyInto("concat", xs[i].Detach(), y.Narrow(a, off, xs[i].Shape[a]));
        return y;
    }

    /// <summary>Rows of device tensor <paramref name="x"/> picked along axis <paramref name="a"/> by host indices
    /// (already bounds-checked): one device-to-device block copy per picked row. Inference only.</summary>
    public static Tensor IndexSelect(Tensor x, int a, int[] idx)
    {
        const string op = "index_select";
        RequireNoGrad(op, x);
        CheckF32(op, x, "x");
        var xc = Dense(op, x);
        var shape = x.Shape.ToArray();
        int n = shape[a];
        shape[a] = idx.Length;
        var y = Tensor.ZerosOn(x.Device, shape);
        int inner = 1;
        for (int d = a + 1; d < x.Rank; d++) inner *= x.Shape[d];
        int outer = n == 0 || inner == 0 ? 0 : x.NumEl / (n * inner);
        var gpu = DeviceRegistry.Get(x.Device);
        ArrayView<float> src = xc.DeviceView(op), dst = y.DeviceView(op);
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < idx.Length; j++)
                src.SubView((o * n + idx[j]) * inner, inner)
                    .CopyTo(gpu.Stream, dst.SubView((o * idx.Length + j) * inner, inner));
        return y;
    }

    /// <summary>A new zero-filled float32 tensor on <paramref name="device"/> (the host when it is the CPU).
    /// </summary>
    public static Tensor Zeros(DeviceSpec device, int[] shape) =>
        device.IsGpu() ? Tensor.ZerosOn(device, shape) : Tensor.Zeros(shape);

    /// <summary>Throws <see cref="NotSupportedException"/> when autograd would record a device op whose backward
    /// is not ported (a grad-requiring input while grad mode is on).</summary>
    public static void RequireNoGrad(string op, params Tensor?[] inputs)
    {
        if (!Tape.IsGradEnabled) return;
        foreach (var t in inputs)
            if (t is { RequiresGrad: true })
                throw new NotSupportedException(
                    $"[{op}] has no backward on {t.Device} (inference only): run it under Tape.NoGrad(), or " +
                    "move the inputs to the host with .To(DeviceSpec.Cpu) to train");
    }
}
