using Ssm.Engine.Autograd;
using Ssm.Engine.Models.Generation;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Tests.Lm;
using Ssm.Engine.Tensors;
using Xunit;

namespace Ssm.Engine.Models.Tests.Generation;

public class MambaDecoderTests
{
    private static ModelConfig Wider => new()
    {
        DModel = 64, NLayer = 3, VocabSize = 100, TieEmbeddings = true,
        Ssm = new SsmConfig { Layer = LayerKind.Mamba1, DState = 16, DConv = 4 },
    };

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Step_MatchesTheTensorStepPath(bool tied, bool mamba2)
    {
        var cfg = (mamba2 ? TinyModels.Mamba2 : TinyModels.Mamba1) with { TieEmbeddings = tied };
        var model = new CausalLm(cfg, seed: 5);
        int[] prompt = [3, 1, 4, 1, 5];
        var cache = model.NewCache();
        var dec = new MambaDecoder(model, threads: 1);
        var st = dec.NewState();
        dec.Prefill(st, 0, prompt);
        using (Tape.NoGrad())
        {
            var want0 = model.Forward(Tensor.FromArray(prompt.Select(t => (long)t).ToArray(), 1, prompt.Length), cache)
                .Select(1, prompt.Length - 1).Contiguous().ToArray();
            AssertClose(want0, st.Logits, 1e-5);
            foreach (int tok in new[] { 7, 2, 9, 0 })
            {
                var want = model.Step(Tensor.FromArray(new long[] { tok }, 1), cache).Contiguous().ToArray();
                AssertClose(want, dec.Step(tok, st).ToArray(), 1e-4);
            }
        }
        Assert.Equal(prompt.Length + 4, st.Positions[0]);
    }

    [Fact]
    public void Bf16Weights_StayCloseToFp32()
    {
        var model = new CausalLm(Wider, seed: 1);
        var f32 = new MambaDecoder(model, bf16: false, threads: 1);
        var b16 = new MambaDecoder(model, bf16: true, threads: 1);
        Assert.True(b16.Bf16);
        DecodeState s1 = f32.NewState(), s2 = b16.NewState();
        f32.Prefill(s1, 0, [1, 2, 3]);
        b16.Prefill(s2, 0, [1, 2, 3]);
        for (int t = 0; t < 3; t++) AssertClose(f32.Step(t + 5, s1).ToArray(), b16.Step(t + 5, s2).ToArray(), 3e-2);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Step_AllocatesNoManagedMemory_AfterWarmUp(bool mamba2)
    {
        var cfg = mamba2 ? Wider with { Ssm = new SsmConfig { Layer = LayerKind.Mamba2, DState = 16, HeadDim = 32 } }
            : Wider;
        var dec = new MambaDecoder(new CausalLm(cfg, seed: 2), threads: 1);
        var st = dec.NewState();
        dec.Prefill(st, 0, [5, 6]);
        for (int i = 0; i < 3; i++) dec.Step(i, st);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) dec.Step(i + 10, st);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void HybridModels_AreNotSupported()
    {
        Assert.True(MambaDecoder.Supports(new CausalLm(TinyModels.Mamba2, seed: 1)));
        Assert.False(MambaDecoder.Supports(new CausalLm(TinyModels.Hybrid, seed: 1)));
        Assert.Throws<NotSupportedException>(() => new MambaDecoder(new CausalLm(TinyModels.Hybrid, seed: 1)));
    }

    private static void AssertClose(float[] want, float[] got, double tol)
    {
        Assert.Equal(want.Length, got.Length);
        double scale = want.Max(v => Math.Abs((double)v));
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(want[i] - got[i]) <= tol * scale, $"[{i}] want {want[i]} got {got[i]}");
    }
}
