using Ssm.Engine.Autograd;
using Ssm.Engine.Devices;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Tests.Devices;

namespace Ssm.Engine.Tests.Ops;

/// <summary>The layout, broadcast, matmul and softmax ops that the language models need, run on both ILGPU CPU
/// simulators and compared with the host result (fixed seeds, odd sizes).</summary>
[Collection(TensorDeviceGpuCollection.Name)]
public sealed class DeviceOpsTests
{
    internal static void AssertClose(Tensor expected, Tensor got, DeviceSpec device, double tol = 1e-5)
    {
        Assert.Equal(device, got.Device);
        Assert.Equal(expected.Shape, got.Shape);
        float[] e = expected.Contiguous().ToArray(), g = got.To(DeviceSpec.Cpu).ToArray();
        double scale = e.Length == 0 ? 0 : e.Max(v => Math.Abs(v));
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - g[i]) <= tol + tol * scale, $"element {i}: expected {e[i]}, got {g[i]}");
    }

    [Theory]
    [MemberData(nameof(TensorDeviceGpuFixture.Devices), MemberType = typeof(TensorDeviceGpuFixture))]
    public void StridedViews_CopiedOnDevice_MatchHost(string name)
    {
        var device = DeviceSpec.Parse(name);
        var x = Tensor.Randn(seed: 31, 3, 5, 7, 2);
        using var d = x.To(device);
        AssertClose(x.Permute(2, 0, 3, 1).Contiguous(), d.Permute(2, 0, 3, 1).Contiguous(), device);
        AssertClose(x.Narrow(2, 1, 5).Narrow(1, 2, 3).Contiguous(), d.Narrow(2, 1, 5).Narrow(1, 2, 3).Contiguous(),
            device);
        AssertClose(x.Select(1, 4).Reshape(21, 2), d.Select(1, 4).Reshape(21, 2), device);
        var e = x.Select(3, 0).Unsqueeze(1).Expand(3, 4, 5, 7);
        AssertClose(e.Contiguous(), d.Select(3, 0).Unsqueeze(1).Expand(3, 4, 5, 7).Contiguous(), device);
        Assert.Equal(x.Permute(1, 0, 2, 3).Contiguous().ToArray(), d.Permute(1, 0, 2, 3).To(DeviceSpec.Cpu).ToArray());
    }

    [Theory]
    [MemberData(nameof(TensorDeviceGpuFixture.Devices), MemberType = typeof(TensorDeviceGpuFixture))]
    public void ConcatStackAndCopyFrom_OnDevice_MatchHost(string name)
    {
        var device = DeviceSpec.Parse(name);
        var a = Tensor.Randn(seed: 32, 2, 3, 5);
        var b = Tensor.Randn(seed: 33, 2, 3, 7);
        using var da = a.To(device);
        using var db = b.To(device);
        AssertClose(F.Concat([a, b], 2), F.Concat([da, db], 2), device);
        AssertClose(F.Concat([a.Permute(2, 1, 0), b.Permute(2, 1, 0)], 0),
            F.Concat([da.Permute(2, 1, 0), db.Permute(2, 1, 0)], 0), device);
        AssertClose(F.Stack([a, a * 2.0], 1), F.Stack([da, da * 2.0], 1), device);
        var z = Tensor.Zeros(device, 2, 3, 5).CopyFrom(db.Narrow(2, 1, 5));
        AssertClose(b.Narrow(2, 1, 5), z, device);
    }

    [Theory]
    [MemberData(nameof(TensorDeviceGpuFixture.Devices), MemberType = typeof(TensorDeviceGpuFixture))]
    public void Broadcasting_OnDevice_MatchesHost(string name)
    {
        var device = DeviceSpec.Parse(name);
        var x = Tensor.Randn(seed: 34, 2, 3, 5, 7);
        var row = Tensor.Randn(seed: 35, 5, 7);
        var col = Tensor.Rand(seed: 36, 3, 1, 1) + 0.5;
        using var dx = x.To(device);
        using var drow = row.To(device);
        using var dcol = col.To(device);
        AssertClose(x + row, dx + drow, device);
        AssertClose(row - x, drow - dx, device);
        AssertClose(x / col, dx / dcol, device);
        AssertClose(F.Mul(x.Narrow(3, 1, 5), row.Narrow(1, 0, 5)), F.Mul(dx.Narrow(3, 1, 5), drow.Narrow(1, 0, 5)),
            device);
        AssertClose(F.Silu(x.Permute(3, 2, 1, 0)), F.Silu(dx.Permute(3, 2, 1, 0)), device);
    }

    [Theory]
    [MemberData(nameof(TensorDeviceGpuFixture.Devices), MemberType = typeof(TensorDeviceGpuFixture))]
    public void BatchedMatMulAndLinear_OnDevice_MatchHost(string name)
    {
        var device = DeviceSpec.Parse(name);
        var q = Tensor.Randn(seed: 37, 2, 5, 3, 7);      // (B, L, H, hd) viewed as (B, H, L, hd)
        var k = Tensor.Randn(seed: 38, 2, 6, 3, 7);
        var w = Tensor.Randn(seed: 39, 9, 7);
        var bias = Tensor.Randn(seed: 40, 9);
        using var dq = q.To(device);
        using var dk = k.To(device);
        using var dw = w.To(device);
        using var dbias = bias.To(device);
        using var _ = Tape.NoGrad();
        AssertClose(F.MatMul(q.Permute(0, 2, 1, 3), k.Permute(0, 2, 1, 3).MT),
            F.MatMul(dq.Permute(0, 2, 1, 3), dk.Permute(0, 2, 1, 3).MT), device, 1e-4);
        AssertClose(F.Linear(q, w, bias), F.Linear(dq, dw, dbias), device, 1e-4);
        AssertClose(F.MatMul(q.Select(2, 1), w.MT), F.MatMul(dq.Select(2, 1), dw.MT), device, 1e-4);
        var shared = Tensor.Randn(seed: 41, 7, 4);
        using var dshared = shared.To(device);
        AssertClose(F.MatMul(k.Permute(2, 0, 1, 3), shared.Unsqueeze(0).Unsqueeze(0)),
            F.MatMul(dk.Permute(2, 0, 1, 3), dshared.Unsqueeze(0).Unsqueeze(0)), device, 1e-4);
    }

    [Theory]
    [InlineData("ilgpu-cpu", 1)]
    [InlineData("ilgpu-cpu-warp32", 3)]
    public void MatMul_FewRowsByGemv_MatchesHost(string name, int rows)
    {
        var device = DeviceSpec.Parse(name);
        var x = Tensor.Randn(seed: 46, rows, 13);
        var w = Tensor.Randn(seed: 47, 9, 13);
        var v = Tensor.Randn(seed: 48, 13, 5);
        using var dx = x.To(device);
        using var dw = w.To(device);
        using var dv = v.To(device);
        AssertClose(F.MatMul(x, w.MT), F.MatMul(dx, dw.MT), device, 1e-4);
        AssertClose(F.MatMul(x, v), F.MatMul(dx, dv), device, 1e-4);
        AssertClose(F.MatMul(x.MT.MT, v), F.MatMul(dx.Narrow(1, 0, 13), dv), device, 1e-4);
    }

    [Theory]
    [MemberData(nameof(TensorDeviceGpuFixture.Devices), MemberType = typeof(TensorDeviceGpuFixture))]
    public void BatchedMatMulAndLinear_WithGradients_MatchHost(string name)
    {
        var device = DeviceSpec.Parse(name);
        // Broadcast batch dims (the (1, G) operand gets its gradient summed back) and a rank-4 Linear whose
        // weight gradient is one folded GEMM.
        Vision.DeviceVisionOpsTests.AssertDeviceGradients(device, t => F.MatMul(t[0], t[1].MT),
            [Tensor.Randn(seed: 42, 2, 1, 3, 4), Tensor.Randn(seed: 43, 1, 3, 5, 4)]);
        Vision.DeviceVisionOpsTests.AssertDeviceGradients(device, t => F.Linear(t[0].Permute(0, 2, 1, 3), t[1], t[2]),
            [Tensor.Randn(seed: 44, 2, 3, 5, 4), Tensor.Randn(seed: 45, 6, 4), Tensor.Randn(seed: 46, 6)]);
    }

    [Theory]
    [MemberData(nameof(TensorDeviceGpuFixture.Devices), MemberType = typeof(TensorDeviceGpuFixture))]
    public void SoftmaxWithCausalMask_OnDevice_MatchesHost(string name)
    {
        var device = DeviceSpec.Parse(name);
        var x = Tensor.Randn(seed: 44, 2, 3, 5, 9) * 4.0;
        var m = new float[5 * 9];
        for (int i = 0; i < 5; i++)
            for (int j = 4 + i + 1; j < 9; j++) m[i * 9 + j] = float.NegativeInfinity;
        var mask = Tensor.FromArray(m, 5, 9);
        using var dx = x.To(device);
        AssertClose(F.Softmax(x + mask, -1), F.Softmax(dx + mask.To(device), -1), device);
        AssertClose(F.Softmax(x, 1), F.Softmax(dx, 1), device);
    }

    [Theory]
    [MemberData(nameof(TensorDeviceGpuFixture.Devices), MemberType = typeof(TensorDeviceGpuFixture))]
    public void Embedding_OnDeviceWithHostIds_MatchesHost(string name)
    {
        var device = DeviceSpec.Parse(name);
        var table = Tensor.Randn(seed: 45, 11, 13);
        var ids = Tensor.FromArray(new long[] { 3, 0, 10, 3, 7, 1 }, 2, 3);
        using var dt = table.To(device);
        using var _ = Tape.NoGrad();
        AssertClose(F.Embedding(table, ids), F.Embedding(dt, ids), device);
        AssertClose(F.IndexSelect(table, 1, Tensor.FromArray(new long[] { 12, 2 }, 2)),
            F.IndexSelect(dt, 1, Tensor.FromArray(new long[] { 12, 2 }, 2)), device);
    }
}
