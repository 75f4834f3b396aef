using Ssm.Engine.Devices;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Tests.Devices;
using static Ssm.Engine.Tests.Ops.DeviceOpsTests;

namespace Ssm.Engine.Tests.Ops.Vision;

/// <summary>The vision ops with their inputs on an ILGPU CPU simulator, forward and backward, compared with the host
/// ops: the same graph runs on both sides and the output and every input gradient must agree. Fixed seeds, small
/// odd sizes (the simulator costs microseconds per thread).</summary>
[Collection(TensorDeviceGpuCollection.Name)]
public sealed class DeviceVisionOpsTests
{
    private static Tensor R(int seed, params int[] shape) => Tensor.Randn(seed, shape);

    /// <summary>Runs <paramref name="f"/> on host leaves and on device copies of them, backpropagates
    /// S = Σ y ⊙ cotangent on both and compares the outputs and the gradients of every input.</summary>
    internal static void AssertDeviceGradients(DeviceSpec dev, Func<Tensor[], Tensor> f, Tensor[] inputs,
        double tol = 1e-4)
    {
        var host = inputs.Select(t => t.Detach().WithRequiresGrad()).ToArray();
        var y = f(host);
        var cot = Tensor.Randn(977, y.Shape);
        F.Sum(F.Mul(y, cot)).Backward();
        var dev0 = inputs.Select(t => t.Detach().To(dev).WithRequiresGrad()).ToArray();
        var dy = f(dev0);
        AssertClose(y, dy, dev, tol);
        F.Sum(F.Mul(dy, cot.To(dev))).Backward();
        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.NotNull(dev0[i].Grad);
            AssertClose(host[i].Grad!, dev0[i].Grad!, dev, tol);
        }
    }

    [Theory]
    [MemberData(nameof(TensorDeviceGpuFixture.Devices), MemberType = typeof(TensorDeviceGpuFixture))]
    public void Conv2d_StridedDilatedGrouped_GradientsMatchHost(string name)
    {
        var dev = DeviceSpec.Parse(name);
        // groups 2, stride (2, 1), padding (1, 2), dilation (1, 2) on a permuted (strided) input.
        AssertDeviceGradients(dev, t => F.Conv2d(t[0].Permute(0, 3, 1, 2), t[1], t[2], (2, 1), (1, 2), (1, 2), 2),
            [R(1, 2, 5, 6, 4), R(2, 6, 2, 3, 2), R(3, 6)]);
    }

    [Theory]
    [MemberData(nameof(TensorDeviceGpuFixture.Devices), MemberType = typeof(TensorDeviceGpuFixture))]
    public void DepthwiseConv2dAndPatchEmbed_GradientsMatchHost(string name)
    {
        var dev = DeviceSpec.Parse(name);
        AssertDeviceGradients(dev, t => F.DepthwiseConv2d(t[0], t[1], t[2], 1), [R(4, 2, 3, 5, 4), R(5, 3, 1, 3, 3),
            R(6, 3)]);
        AssertDeviceGradients(dev, t => F.PatchEmbed(t[0], t[1], t[2], 2), [R(7, 1, 2, 6, 6), R(8, 5, 2, 2, 2),
            R(9, 5)]);
    }

    [Theory]
    [InlineData("ilgpu-cpu", true, true)]
    [InlineData("ilgpu-cpu", false, true)]
    [InlineData("ilgpu-cpu-warp32", true, false)]
    [InlineData("ilgpu-cpu-warp32", false, false)]
    public void CrossScanAndMerge_EveryLayout_GradientsMatchHost(string name, bool imageCf, bool scanCf)
    {
        var dev = DeviceSpec.Parse(name);
        int h = 3, w = 4, c = 2;
        var img = imageCf ? R(10, 2, c, h, w) : R(10, 2, h, w, c);
        AssertDeviceGradients(dev, t => F.CrossScan(t[0], imageCf, scanCf), [img]);
        var seq = scanCf ? R(11, 2, 4, c, h * w) : R(11, 2, h * w, 4, c);
        AssertDeviceGradients(dev, t => F.CrossMerge(t[0], h, w, imageCf, scanCf), [seq]);
    }

    [Theory]
    [MemberData(nameof(TensorDeviceGpuFixture.Devices), MemberType = typeof(TensorDeviceGpuFixture))]
    public void NcSsd_BroadcastBatchedMatMuls_GradientsMatchHost(string name)
    {
        var dev = DeviceSpec.Parse(name);
        AssertDeviceGradients(dev, t => F.NcSsd(t[0], F.Softplus(t[1]), F.Neg(F.Exp(t[2])), t[3], t[4], t[5], 2,
            positiveDA: true), [R(12, 2, 5, 4, 3), R(13, 2, 5, 4), R(14, 4), R(15, 2, 5, 6), R(16, 2, 5, 6), R(17, 4)]);
    }

    [Theory]
    [MemberData(nameof(TensorDeviceGpuFixture.Devices), MemberType = typeof(TensorDeviceGpuFixture))]
    public void NormsGeluAndLinear_GradientsMatchHost(string name)
    {
        var dev = DeviceSpec.Parse(name);
        AssertDeviceGradients(dev, t => F.Linear(F.Gelu(F.LayerNorm2d(t[0], t[1], t[2], 1e-5, channelFirst: true)
            .Permute(0, 2, 3, 1)), t[3], t[4]), [R(18, 2, 5, 3, 2), R(19, 5), R(20, 5), R(21, 3, 5), R(22, 3)]);
        AssertDeviceGradients(dev, t => F.RmsNorm(F.Add(t[0], t[1]), t[2], 1e-5),
            [R(23, 2, 3, 7), R(24, 2, 3, 7), R(25, 7)]);
    }

    [Theory]
    [MemberData(nameof(TensorDeviceGpuFixture.Devices), MemberType = typeof(TensorDeviceGpuFixture))]
    public void SumOverLeadingAndInnerAxes_GradientsMatchHost(string name)
    {
        var dev = DeviceSpec.Parse(name);
        AssertDeviceGradients(dev, t => F.Sum(t[0], [0, 2], keepDim: true), [R(26, 3, 4, 5, 2)]);
        AssertDeviceGradients(dev, t => F.Mean(t[0].Permute(2, 0, 1), [1]), [R(27, 3, 4, 5)]);
        AssertDeviceGradients(dev, t => F.Add(F.InsertClassToken(t[0], t[1], 2), t[2]).Select(1, 2),
            [R(28, 2, 4, 3), R(29, 1, 1, 3), R(30, 1, 5, 3)]);
    }

    [Fact]
    public void DropoutAndDropPath_OnDevice_ApplyTheSameSeededMasks()
    {
        AssertDeviceGradients(TensorDeviceGpuFixture.Warp4,
            t => F.DropPath(F.Dropout(t[0], 0.3, seed: 5), 0.5, seed: 7), [R(32, 4, 3, 5)]);
    }
}
