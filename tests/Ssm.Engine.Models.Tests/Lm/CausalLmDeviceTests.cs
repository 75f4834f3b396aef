using System.Diagnostics;
using Ssm.Engine.Autograd;
using Ssm.Engine.Devices;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Ssm.Engine.Models.Tests.Lm;

/// <summary>Golden checkpoints (Mamba-1, Mamba-2, a GQA + MLP hybrid) moved to the ILGPU CPU simulator: the
/// prefill logits, the caches and the decode-step logits match the same model on the host.</summary>
public class CausalLmDeviceTests(ITestOutputHelper output)
{
    private static Tensor Ids(int seed, int batch, int length, int vocab)
    {
        var rng = new Random(seed);
        var ids = new long[batch * length];
        for (int i = 0; i < ids.Length; i++) ids[i] = rng.Next(vocab);
        return Tensor.FromArray(ids, batch, length);
    }

    private static void Close(Tensor host, Tensor device, string what) =>
        TensorAssert.Close(host.Contiguous(), device.To(DeviceSpec.Cpu), 1e-4, 1e-4, what);

    [Fact]
    public void Mamba2ForwardAndStep_OnDevice_MatchHost() =>
        ForwardAndStep_OnDevice_MatchHost("mamba2_l2_v256", "native", "ilgpu-cpu-warp32");

    /// <summary>About 20-60 s each on the simulator of a loaded 2-core machine.</summary>
    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("mamba1_l2_v256_tied", "native", "ilgpu-cpu")]
    [InlineData("mamba1_l2_v1000_untied", "hf", "ilgpu-cpu-warp32")]
    [InlineData("hybrid_m2_gqa_mlp_l3_v256", "native", "ilgpu-cpu")]
    [InlineData("hybrid_m2g2_attn_l4_v250", "native", "ilgpu-cpu-warp32")]
    public void ForwardAndStep_OnDevice_MatchHost(string model, string format, string deviceName)
    {
        var device = DeviceSpec.Parse(deviceName);
        string dir = Path.Combine(GoldenPaths.Root, "models", model, format);
        var host = ModelLoader.Load(dir).Model;
        var onDevice = ModelLoader.Load(dir).Model.To(device);
        Assert.Equal(device, onDevice.Device);
        Assert.All(onDevice.Parameters(), p => Assert.Equal(device, p.Device));
        var ids = Ids(5, 2, 7, host.Config.VocabSize);
        using var _ = Tape.NoGrad();
        var clock = Stopwatch.StartNew();
        var hc = host.NewCache();
        var dc = onDevice.NewCache();
        var want = host.Forward(ids, hc);
        var got = onDevice.Forward(ids, dc);
        output.WriteLine($"prefill {clock.ElapsedMilliseconds} ms");
        Close(want, got, "prefill logits");
        for (int i = 0; i < host.Config.NLayer; i++)
        {
            var (h, d) = (hc.Layers[i], dc.Layers[i]);
            if (h.Kind == LayerKind.Attention) Close(h.Key!, d.Key!, $"layer {i} keys");
            else Close(h.Ssm!, d.Ssm!, $"layer {i} state");
        }
        clock.Restart();
        for (int t = 0; t < 3; t++)
        {
            var next = Ids(6 + t, 2, 1, host.Config.VocabSize).Reshape(2);
            Close(host.Step(next, hc), onDevice.Step(next, dc), $"step {t} logits");
        }
        output.WriteLine($"3 steps {clock.ElapsedMilliseconds} ms");
        Assert.Equal(dc.Position, hc.Position);
    }

    [Fact]
    public void Bf16Checkpoint_MovedToDevice_BecomesFloat32()
    {
        string dir = Path.Combine(GoldenPaths.Root, "models", "mamba1_l2_v256_tied", "hf_bf16");
        var model = ModelLoader.Load(dir, new LoadOptions(KeepBFloat16: true)).Model;
        Assert.Contains(model.Parameters(), p => p.DType == DType.BFloat16);
        model.To(DeviceSpec.IlgpuCpu);
        Assert.All(model.Parameters(), p => Assert.Equal(DType.Float32, p.DType));
    }
}
