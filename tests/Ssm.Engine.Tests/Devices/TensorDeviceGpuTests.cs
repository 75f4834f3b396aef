using Ssm.Engine.Devices;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Tests.Devices;

[Collection(TensorDeviceGpuCollection.Name)]
public sealed class TensorDeviceGpuTests
{
    private static void AssertClose(Tensor expected, Tensor deviceResult, DeviceSpec device, double tol = 1e-5)
    {
        Assert.Equal(device, deviceResult.Device);
        Assert.Equal(expected.Shape, deviceResult.Shape);
        float[] e = expected.ToArray(), g = deviceResult.To(DeviceSpec.Cpu).ToArray();
        double scale = e.Length == 0 ? 0 : e.Max(v => Math.Abs(v));
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - g[i]) <= tol + tol * scale, $"element {i}: expected {e[i]}, got {g[i]}");
    }

    [Theory]
    [MemberData(nameof(TensorDeviceGpuFixture.Devices), MemberType = typeof(TensorDeviceGpuFixture))]
    public void To_RoundTrip_IsExact(string name)
    {
        var device = DeviceSpec.Parse(name);
        var x = Tensor.Randn(seed: 3, 4, 7);
        using var d = x.To(device);
        Assert.Equal(device, d.Device);
        Assert.Equal(DeviceSpec.Cpu, x.Device);
        var back = d.To(DeviceSpec.Cpu);
        Assert.Equal(DeviceSpec.Cpu, back.Device);
        Assert.Equal(x.ToArray(), back.ToArray());
        Assert.Same(d, d.To(device));
    }

    [Fact]
    public void Factories_NameTheSameDevicesAsParse()
    {
        Assert.Equal(DeviceSpec.Parse("ilgpu-cpu"), DeviceSpec.IlgpuCpu);
        Assert.Equal(DeviceSpec.Parse("ilgpu-cpu-warp32"), DeviceSpec.IlgpuCpuWarp32);
        Assert.Equal(DeviceSpec.Parse("cuda:1"), DeviceSpec.Cuda(1));
        Assert.Equal(DeviceSpec.Parse("opencl"), DeviceSpec.OpenCL());
    }

    [Fact]
    public void To_DeviceToDevice_CopiesThroughTheHost()
    {
        var x = Tensor.Randn(seed: 4, 3, 5);
        using var a = x.To(TensorDeviceGpuFixture.Warp4);
        using var b = a.To(TensorDeviceGpuFixture.Warp32);
        Assert.Equal(TensorDeviceGpuFixture.Warp32, b.Device);
        Assert.Equal(x.ToArray(), b.To(DeviceSpec.Cpu).ToArray());
    }

    [Fact]
    public void HostReads_OnDeviceTensor_ThrowWithTheFix()
    {
        using var d = Tensor.Randn(seed: 5, 2, 3).To(TensorDeviceGpuFixture.Warp4);
        var e1 = Assert.Throws<InvalidOperationException>(() => d.ToArray());
        Assert.Contains("ilgpu-cpu", e1.Message);
        Assert.Contains(".To(DeviceSpec.Cpu)", e1.Message);
        Assert.Throws<InvalidOperationException>(() => d.Span<float>().ToArray());
        Assert.Throws<InvalidOperationException>(() => d[0, 0]);
    }

    [Fact]
    public void To_EmptyTensor_RoundTrips()
    {
        using var d = Tensor.Zeros(0, 3).To(TensorDeviceGpuFixture.Warp4);
        Assert.Equal(new[] { 0, 3 }, d.Shape);
        Assert.Empty(d.To(DeviceSpec.Cpu).ToArray());
    }

    [Fact]
    public void ToString_OnDevice_NamesTheDeviceWithoutReadingData()
    {
        using var d = Tensor.Randn(seed: 2, 2, 2).To(TensorDeviceGpuFixture.Warp32);
        Assert.Equal("Tensor([2, 2], Float32, ilgpu-cpu-warp32)", d.ToString());
    }

    [Fact]
    public void To_NonFloat32_IsNotSupported()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }, 2);
        var e = Assert.Throws<NotSupportedException>(() => x.To(TensorDeviceGpuFixture.Warp4));
        Assert.Contains("[to]", e.Message);
        Assert.Contains("Float64", e.Message);
    }

    [Fact]
    public void Reshape_ContiguousDeviceTensor_StaysOnDevice()
    {
        var x = Tensor.Randn(seed: 6, 2, 6);
        using var d = x.To(TensorDeviceGpuFixture.Warp4);
        var r = d.Reshape(3, 4);
        Assert.Equal(TensorDeviceGpuFixture.Warp4, r.Device);
        Assert.Equal(x.Reshape(3, 4).ToArray(), r.To(DeviceSpec.Cpu).ToArray());
    }

    [Fact]
    public void Contiguous_TransposedDeviceView_IsCopiedOnTheDevice()
    {
        var x = Tensor.Randn(seed: 6, 2, 6);
        using var d = x.To(TensorDeviceGpuFixture.Warp4);
        int before = DeviceRegistry.LiveBuffers(TensorDeviceGpuFixture.Warp4);
        using var c = d.MT.Contiguous();
        Assert.Equal(before + 1, DeviceRegistry.LiveBuffers(TensorDeviceGpuFixture.Warp4));
        Assert.True(c.IsContiguous);
        Assert.Equal(x.MT.Contiguous().ToArray(), c.To(DeviceSpec.Cpu).ToArray());
        Assert.Equal(x.MT.Reshape(12).ToArray(), d.MT.Reshape(12).To(DeviceSpec.Cpu).ToArray());
    }

    [Fact]
    public void Dispose_FreesTheDeviceBuffer()
    {
        var device = TensorDeviceGpuFixture.Warp4;
        int before = DeviceRegistry.LiveBuffers(device);
        var d = Tensor.Randn(seed: 7, 8).To(device);
        Assert.Equal(before + 1, DeviceRegistry.LiveBuffers(device));
        Assert.False(d.IsDisposed);
        d.Dispose();
        d.Dispose(); // idempotent
        Assert.True(d.IsDisposed);
        Assert.Equal(before, DeviceRegistry.LiveBuffers(device));
        Assert.Throws<ObjectDisposedException>(() => d.To(DeviceSpec.Cpu));

        using (var x = Tensor.Randn(seed: 7, 3, 3).To(device))
        using (var y = F.MatMul(x, x))
            Assert.Equal(before + 2, DeviceRegistry.LiveBuffers(device));
        Assert.Equal(before, DeviceRegistry.LiveBuffers(device));
    }

    [Fact]
    public void MixingDevices_ThrowsNamingBoth()
    {
        var x = Tensor.Randn(seed: 8, 3);
        using var d = x.To(TensorDeviceGpuFixture.Warp4);
        var e = Assert.Throws<ArgumentException>(() => F.Add(x, d));
        Assert.Contains("[add] operands are on cpu and ilgpu-cpu", e.Message);
        var m = Assert.Throws<ArgumentException>(() => F.MatMul(d.Reshape(1, 3), x.Reshape(3, 1)));
        Assert.Contains("[matmul] operands are on ilgpu-cpu and cpu", m.Message);
    }

    [Fact]
    public void UnportedOp_ThrowsNotSupportedNamingOpAndDevice()
    {
        using var d = Tensor.Rand(seed: 9, 4).To(TensorDeviceGpuFixture.Warp4);
        var e = Assert.Throws<NotSupportedException>(() => F.Log(d));
        Assert.Contains("[log]", e.Message);
        Assert.Contains("ilgpu-cpu", e.Message);
        using var m = Tensor.Randn(seed: 9, 2, 3).To(TensorDeviceGpuFixture.Warp4);
        var s = Assert.Throws<NotSupportedException>(() => F.Max(m, 0));
        Assert.Contains("[max]", s.Message);
    }

    public static TheoryData<string, string> UnaryCases()
    {
        var data = new TheoryData<string, string>();
        foreach (string d in new[] { "ilgpu-cpu", "ilgpu-cpu-warp32" })
        foreach (string op in new[] { "exp", "sigmoid", "silu", "softplus", "tanh", "neg" })
            data.Add(d, op);
        return data;
    }

    private static Tensor Unary(string op, Tensor x) => op switch
    {
        "exp" => F.Exp(x),
        "sigmoid" => F.Sigmoid(x),
        "silu" => F.Silu(x),
        "softplus" => F.Softplus(x),
        "tanh" => F.Tanh(x),
        _ => F.Neg(x),
    };

    [Theory]
    [MemberData(nameof(UnaryCases))]
    public void UnaryOp_OnDevice_MatchesCpu(string name, string op)
    {
        var device = DeviceSpec.Parse(name);
        var x = Tensor.Randn(seed: 10, 5, 9) * 3.0;
        using var d = x.To(device);
        using var y = Unary(op, d);
        AssertClose(Unary(op, x), y, device);
    }

    private static Tensor Binary(string op, Tensor a, Tensor b) => op switch
    {
        "add" => F.Add(a, b),
        "sub" => F.Sub(a, b),
        "mul" => F.Mul(a, b),
        _ => F.Div(a, b),
    };

    [Theory]
    [InlineData("ilgpu-cpu", "add")]
    [InlineData("ilgpu-cpu", "sub")]
    [InlineData("ilgpu-cpu-warp32", "mul")]
    [InlineData("ilgpu-cpu-warp32", "div")]
    public void BinaryOp_OnDevice_MatchesCpu(string name, string op)
    {
        var device = DeviceSpec.Parse(name);
        var a = Tensor.Randn(seed: 11, 4, 6);
        var b = Tensor.Rand(seed: 12, 4, 6) + 0.5;
        using var da = a.To(device);
        using var db = b.To(device);
        AssertClose(Binary(op, a, b), Binary(op, da, db), device);
        AssertClose(Binary(op, a, a.Scalar(2.5)), Binary(op, da, da.Scalar(2.5)), device);
    }

    [Theory]
    [MemberData(nameof(TensorDeviceGpuFixture.Devices), MemberType = typeof(TensorDeviceGpuFixture))]
    public void RowReductions_OnDevice_MatchCpu(string name)
    {
        var device = DeviceSpec.Parse(name);
        var x = Tensor.Randn(seed: 13, 3, 4, 37);
        using var d = x.To(device);
        AssertClose(F.Sum(x, -1), F.Sum(d, -1), device);
        AssertClose(F.Max(x, 2, keepDim: true), F.Max(d, 2, keepDim: true), device);
        AssertClose(F.Sum(x), F.Sum(d), device, 1e-4);
        AssertClose(F.Max(x), F.Max(d), device);
    }

    [Theory]
    [InlineData("ilgpu-cpu", false, false)]
    [InlineData("ilgpu-cpu", true, false)]
    [InlineData("ilgpu-cpu-warp32", false, true)]
    [InlineData("ilgpu-cpu-warp32", true, true)]
    public void MatMul_OnDevice_MatchesCpu(string name, bool transA, bool transB)
    {
        var device = DeviceSpec.Parse(name);
        var a = transA ? Tensor.Randn(seed: 14, 11, 5) : Tensor.Randn(seed: 14, 5, 11);
        var b = transB ? Tensor.Randn(seed: 15, 9, 11) : Tensor.Randn(seed: 15, 11, 9);
        using var da = a.To(device);
        using var db = b.To(device);
        AssertClose(F.MatMul(a, b, transA, transB), F.MatMul(da, db, transA, transB), device);
    }

    /// <summary>A small graph through every dispatched op; returns the scalar loss.</summary>
    private static Tensor Graph(Tensor x, Tensor w, Tensor v)
    {
        var h = F.MatMul(x, w, false, true);                 // (4, 6)
        var a = F.Add(F.Silu(h), F.Tanh(h));
        var b = F.Div(F.Mul(F.Sigmoid(h), F.Softplus(a)), F.Exp(F.Neg(F.Sub(a, a.Scalar(0.25)))) + 2.0);
        var c = F.MatMul(b, v);                               // (4, 3)
        return F.Add(F.Sum(F.Sum(c, -1)), F.Sum(F.Max(c, -1)));
    }

    [Theory]
    [MemberData(nameof(TensorDeviceGpuFixture.Devices), MemberType = typeof(TensorDeviceGpuFixture))]
    public void Gradients_OnDevice_MatchCpu(string name)
    {
        var device = DeviceSpec.Parse(name);
        var x = Tensor.Randn(seed: 16, 4, 5).WithRequiresGrad();
        var w = Tensor.Randn(seed: 17, 6, 5).WithRequiresGrad();
        var v = Tensor.Randn(seed: 18, 6, 3).WithRequiresGrad();
        var loss = Graph(x, w, v);
        loss.Backward();

        var dx = x.Detach().To(device).WithRequiresGrad();
        var dw = w.Detach().To(device).WithRequiresGrad();
        var dv = v.Detach().To(device).WithRequiresGrad();
        var dloss = Graph(dx, dw, dv);
        Assert.Equal(device, dloss.Device);
        int beforeBackward = DeviceRegistry.LiveBuffers(device);
        dloss.Backward();
        // The three leaf gradients stay and the sweep's intermediate gradients are freed: 14 buffers remain here
        // (the leaf gradients plus temporaries inside backward rules) against 37 without the freeing.
        int grown = DeviceRegistry.LiveBuffers(device) - beforeBackward;
        Assert.InRange(grown, 3, 16);
        AssertClose(loss, dloss, device, 1e-4);
        AssertClose(x.Grad!, dx.Grad!, device, 1e-4);
        AssertClose(w.Grad!, dw.Grad!, device, 1e-4);
        AssertClose(v.Grad!, dv.Grad!, device, 1e-4);
    }

    [Fact]
    public void Gradient_ThroughTo_ReturnsToTheSourceDevice()
    {
        var x = Tensor.Randn(seed: 19, 3, 4).WithRequiresGrad();
        var loss = F.Sum(F.Exp(x.To(TensorDeviceGpuFixture.Warp4)));
        loss.Backward();
        Assert.Equal(DeviceSpec.Cpu, x.Grad!.Device);
        AssertClose(F.Exp(x.Detach()), x.Grad.To(TensorDeviceGpuFixture.Warp4), TensorDeviceGpuFixture.Warp4);
    }
}
