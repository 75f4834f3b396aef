using Ssm.Engine.Autograd;
using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Conv2d;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Ops;

public static partial class F
{
    /// <summary>2-D convolution with PyTorch <c>conv2d</c> semantics (cross-correlation, zero padding):
    /// x (B, Cin, H, W), weight (Cout, Cin/groups, Kh, Kw), bias (Cout) → (B, Cout, Ho, Wo). Depthwise when
    /// groups = Cin = Cout. Float32 runs on <c>Conv2d.Cpu</c> (im2col + GEMM, direct loops for depthwise);
    /// float64 on the reference loops (gradient checks); float32 device tensors on <c>Conv2d.Gpu</c> (forward and
    /// backward on the device).</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, (int H, int W) stride, (int H, int W) padding,
        (int H, int W) dilation, int groups = 1)
    {
        if (x.Rank != 4 || weight.Rank != 4)
            throw new ArgumentException($"[conv2d] x {ShapeUtil.Format(x.Shape)} must be (B, Cin, H, W) and weight " +
                $"{ShapeUtil.Format(weight.Shape)} (Cout, Cin/groups, Kh, Kw)");
        if (x.Shape[1] != weight.Shape[1] * groups)
            throw new ArgumentException($"[conv2d] x {ShapeUtil.Format(x.Shape)} has {x.Shape[1]} channels, weight " +
                $"{ShapeUtil.Format(weight.Shape)} with groups {groups} expects {weight.Shape[1] * groups}");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != weight.Shape[0]))
            throw new ArgumentException(
                $"[conv2d] bias {ShapeUtil.Format(bias.Shape)} does not match weight {ShapeUtil.Format(weight.Shape)}");
        ElementwiseDriver.CheckSameDType("conv2d", x, weight);
        if (bias is not null) ElementwiseDriver.CheckSameDType("conv2d", x, bias);
        var s = new Conv2dShape(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], weight.Shape[0], weight.Shape[2],
            weight.Shape[3])
        {
            StrideH = stride.H, StrideW = stride.W, PadH = padding.H, PadW = padding.W,
            DilationH = dilation.H, DilationW = dilation.W, Groups = groups,
        };
        Kernels.Conv2d.Conv2d.Validate(s, x.NumEl, weight.NumEl, bias?.NumEl ?? 0,
            (int)Math.Min(int.MaxValue, s.YLength));
        if (x.Device.IsGpu() || weight.Device.IsGpu() || (bias?.Device.IsGpu() ?? false))
            return DeviceOps.Conv2d(x, weight, bias, s);
        var xc = x.Materialize();
        var wc = weight.Materialize();
        var bc = bias?.Materialize();
        var y = Tensor.Zeros([s.Batch, s.OutChannels, s.OutHeight, s.OutWidth], x.DType);
        bool f32 = x.DType == DType.Float32;
        if (f32) Kernels.Conv2d.Conv2d.Cpu.Forward(s, xc.Span<float>(), wc.Span<float>(),
            bc is null ? [] : bc.Span<float>(), y.Span<float>());
        else if (x.DType == DType.Float64) Kernels.Conv2d.Conv2d.Reference.Forward<double>(s, xc.Span<double>(),
            wc.Span<double>(), bc is null ? [] : bc.Span<double>(), y.Span<double>());
        else throw new ArgumentException($"[conv2d] dtype {x.DType} is not supported (Float32, Float64)");
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Tape.Record(y, "conv2d", inputs, g =>
        {
            var gc = g.Materialize();
            var dx = x.RequiresGrad ? Tensor.Zeros(x.Shape, x.DType) : null;
            var dw = weight.RequiresGrad ? Tensor.Zeros(weight.Shape, x.DType) : null;
            var db = bias is { RequiresGrad: true } ? Tensor.Zeros(bias.Shape, x.DType) : null;
            if (f32) Kernels.Conv2d.Conv2d.Cpu.Backward(s, xc.Span<float>(), wc.Span<float>(), gc.Span<float>(),
                dx is null ? [] : dx.Span<float>(), dw is null ? [] : dw.Span<float>(),
                db is null ? [] : db.Span<float>());
            else Kernels.Conv2d.Conv2d.Reference.Backward<double>(s, xc.Span<double>(), wc.Span<double>(),
                gc.Span<double>(), dx is null ? [] : dx.Span<double>(), dw is null ? [] : dw.Span<double>(),
                db is null ? [] : db.Span<double>());
            return bias is null ? [dx, dw] : [dx, dw, db];
        });
    }

    /// <summary>2-D convolution with the same stride, padding and dilation on both axes (see the full
    /// overload).</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0,
        int dilation = 1, int groups = 1) =>
        Conv2d(x, weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    /// <summary>Depthwise 2-D convolution (groups = C), stride 1, zero padding <paramref name="padding"/>:
    /// x (B, C, H, W), weight (C, 1, k, k), bias (C) — the <c>dwconv2d</c> of the vision families.</summary>
    public static Tensor DepthwiseConv2d(Tensor x, Tensor weight, Tensor? bias, int padding) =>
        Conv2d(x, weight, bias, 1, padding, 1, groups: x.Rank == 4 ? x.Shape[1] : 1);
}
