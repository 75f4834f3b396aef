using Ssm.Engine.Autograd;
using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Ssd;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Tests.Devices;
using static Ssm.Engine.Tests.Ops.DeviceOpsTests;
using static Ssm.Engine.Tests.Ops.Vision.DeviceVisionOpsTests;

namespace Ssm.Engine.Tests.Ops.Ssm;

/// <summary>The fused norm and SSM ops with their operands on an ILGPU CPU simulator (inputs as strided views, as
/// the mixers pass them), compared with the host ops. Fixed seeds; sizes not multiples of the vector width.</summary>
[Collection(TensorDeviceGpuCollection.Name)]
public sealed class DeviceSsmOpsTests
{
    private static Tensor R(int seed, params int[] shape) => Tensor.Randn(seed, shape);

    private static Tensor NegA(int seed, params int[] shape) => -F.Exp(Tensor.Randn(seed, shape) * 0.5);

    [Theory]
    [MemberData(nameof(TensorDeviceGpuFixture.Devices), MemberType = typeof(TensorDeviceGpuFixture))]
    public void Norms_OnDevice_MatchHost(string name)
    {
        var dev = DeviceSpec.Parse(name);
        using var _ = Tape.NoGrad();
        Tensor x = R(51, 2, 3, 10), res = R(52, 2, 3, 10), w = R(53, 10), z = R(54, 3, 2, 10);
        var (y, r) = F.RmsNormFused(x, w, null, res, 1e-5);
        var (dy, dr) = F.RmsNormFused(x.To(dev), w.To(dev), null, res.To(dev), 1e-5);
        AssertClose(y, dy, dev, 1e-4);
        AssertClose(r, dr, dev);
        AssertClose(F.RmsNormFused(x, w).Y, F.RmsNormFused(x.To(dev), w.To(dev)).Y, dev, 1e-4);
        var zt = z.Permute(1, 0, 2);
        AssertClose(F.GatedRmsNorm(x, w, null, zt, false, 5), F.GatedRmsNorm(x.To(dev), w.To(dev), null,
            z.To(dev).Permute(1, 0, 2), false, 5), dev, 1e-4);
    }

    [Fact]
    public void Norm_WithGradient_IsNotSupportedOnDevice()
    {
        var dev = TensorDeviceGpuFixture.Warp4;
        var w = R(55, 6).To(dev).WithRequiresGrad();
        var e = Assert.Throws<NotSupportedException>(() => F.RmsNormFused(R(56, 2, 6).To(dev), w));
        Assert.Contains("[rms_norm_fused]", e.Message);
        Assert.Contains("ilgpu-cpu", e.Message);
    }

    [Theory]
    [MemberData(nameof(TensorDeviceGpuFixture.Devices), MemberType = typeof(TensorDeviceGpuFixture))]
    public void CausalConv1d_StridedInputOnDevice_MatchesHost(string name)
    {
        var dev = DeviceSpec.Parse(name);
        using var _ = Tape.NoGrad();
        Tensor x = R(57, 2, 7, 5), w = R(58, 5, 1, 4), b = R(59, 5), h = R(60, 2, 5, 4);
        var (y, f) = F.CausalConv1d(x.Permute(0, 2, 1), w, b, silu: true, h.Narrow(2, 1, 3));
        var (dy, df) = F.CausalConv1d(x.To(dev).Permute(0, 2, 1), w.To(dev), b.To(dev), silu: true,
            h.To(dev).Narrow(2, 1, 3));
        AssertClose(y, dy, dev, 1e-4);
        AssertClose(f, df, dev);
    }

    [Theory]
    [MemberData(nameof(TensorDeviceGpuFixture.Devices), MemberType = typeof(TensorDeviceGpuFixture))]
    public void SelectiveScan_OnDevice_MatchesHost(string name)
    {
        var dev = DeviceSpec.Parse(name);
        using var _ = Tape.NoGrad();
        int b = 2, d = 5, l = 7, n = 3;
        Tensor u = R(61, b, l, d), dt = R(62, b, d, l) * 0.5, a = NegA(63, d, n), bm = R(64, b, l, n),
            cm = R(65, b, n, l), dd = R(66, d), z = R(67, b, d, l), bias = R(68, d), h0 = R(69, b, d, n);
        var (y, last) = F.SelectiveScan(u.Permute(0, 2, 1), dt, a, bm.Permute(0, 2, 1), cm, dd, z, bias, true, h0);
        Tensor D(Tensor t) => t.To(dev);
        var (gy, glast) = F.SelectiveScan(D(u).Permute(0, 2, 1), D(dt), D(a), D(bm).Permute(0, 2, 1), D(cm), D(dd),
            D(z), D(bias), true, D(h0));
        AssertClose(y, gy, dev, 1e-4);
        AssertClose(last, glast, dev, 1e-4);
    }

    [Theory]
    [MemberData(nameof(TensorDeviceGpuFixture.Devices), MemberType = typeof(TensorDeviceGpuFixture))]
    public void SelectiveStateUpdate_ExpandedMamba2OperandsOnDevice_MatchHost(string name)
    {
        var dev = DeviceSpec.Parse(name);
        using var _ = Tape.NoGrad();
        int b = 2, h = 3, p = 5, n = 3, g = 1;
        Tensor st = R(70, b, h, p, n), x = R(71, b, h, p), dt = R(72, b, h), a = NegA(73, h),
            bm = R(74, b, g, n), cm = R(75, b, g, n), dd = R(76, h), z = R(77, b, h, p), bias = R(78, h);
        (Tensor, Tensor) Run(Func<Tensor, Tensor> on) => F.SelectiveStateUpdate(on(st), on(x),
            on(dt).Unsqueeze(-1).Expand(b, h, p), on(a).Unsqueeze(-1).Unsqueeze(-1).Expand(h, p, n), on(bm), on(cm),
            on(dd).Unsqueeze(-1).Expand(h, p), on(z), on(bias).Unsqueeze(-1).Expand(h, p), dtSoftplus: true);
        var (y, next) = Run(t => t);
        var (gy, gnext) = Run(t => t.To(dev));
        AssertClose(y, gy, dev, 1e-4);
        AssertClose(next, gnext, dev, 1e-4);
    }

    [Theory]
    [InlineData("ilgpu-cpu", SsdAlgorithm.Auto)]
    [InlineData("ilgpu-cpu-warp32", SsdAlgorithm.Chunked)]
    public void Ssd_OnDevice_MatchesHost(string name, SsdAlgorithm algorithm)
    {
        var dev = DeviceSpec.Parse(name);
        using var _ = Tape.NoGrad();
        int b = 2, l = 7, h = 3, p = 5, g = 1, n = 3;
        Tensor x = R(80, b, l, h, p), dt = R(81, b, l, h), a = NegA(82, h), bm = R(83, b, l, g, n),
            cm = R(84, b, l, g, n), dd = R(85, h), z = R(86, b, l, h, p), bias = R(87, h), h0 = R(88, b, h, p, n);
        (Tensor, Tensor) Run(Func<Tensor, Tensor> on) => F.Ssd(on(x), on(dt), on(a), on(bm), on(cm), on(dd),
            on(z), on(bias), dtSoftplus: true, dtLimit: (0.01f, 2f), initialStates: on(h0), algorithm: algorithm,
            chunkSize: 3);
        var (y, final) = Run(t => t);
        var (gy, gfinal) = Run(t => t.To(dev));
        AssertClose(y, gy, dev, 1e-4);
        AssertClose(final, gfinal, dev, 1e-4);
    }

    [Theory]
    [MemberData(nameof(TensorDeviceGpuFixture.Devices), MemberType = typeof(TensorDeviceGpuFixture))]
    public void SelectiveScan_GroupedWithGateAndState_GradientsMatchHost(string name)
    {
        var dev = DeviceSpec.Parse(name);
        int b = 2, d = 4, l = 5, n = 3, g = 2;
        // Both outputs carry a cotangent: y through the sum, the last state added on top.
        AssertDeviceGradients(dev, t =>
            {
                var (y, last) = F.SelectiveScan(t[0].Permute(0, 2, 1), t[1], F.Neg(F.Exp(t[2])), t[3], t[4], t[5],
                    t[6], t[7], deltaSoftplus: true, h0: t[8]);
                return F.Add(y, F.Sum(last, -1, keepDim: true));
            },
            [R(90, b, l, d), R(91, b, d, l), R(92, d, n), R(93, b, g, n, l), R(94, b, g, n, l), R(95, d),
                R(96, b, d, l), R(97, d), R(98, b, d, n)]);
    }

    [Theory]
    [MemberData(nameof(TensorDeviceGpuFixture.Devices), MemberType = typeof(TensorDeviceGpuFixture))]
    public void CausalConv1d_WithStates_GradientsMatchHost(string name)
    {
        var dev = DeviceSpec.Parse(name);
        AssertDeviceGradients(dev, t =>
            {
                var (y, final) = F.CausalConv1d(t[0].Permute(0, 2, 1), t[1], t[2], silu: true, t[3]);
                return F.Add(y.Narrow(2, 0, 3), final);
            },
            [R(99, 2, 6, 5), R(100, 5, 1, 4), R(101, 5), R(102, 2, 5, 3)]);
    }
}
