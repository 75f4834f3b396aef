using Ssm.Engine.Autograd;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Models.Nn;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Xunit;

namespace Ssm.Engine.Models.Tests.Lm;

public sealed class MambaMixerLtiTests
{
    private static readonly SsmConfig Lti = new() { Layer = LayerKind.Mamba1, DState = 4, DConv = 3,
        Selectivity = SsmSelectivity.Lti };

    private static Tensor Random(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        var data = new float[ShapeUtil.NumEl(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        return Tensor.FromArray(data, shape);
    }

    private static float[][] ScanInputs(MambaMixer m, Tensor xc)
    {
        var (dt, b, c, bias) = m.ScanInputs(xc);
        return [dt.Contiguous().ToArray(), b.Contiguous().ToArray(), c.Contiguous().ToArray(), bias.ToArray()];
    }

    [Fact]
    public void ScanInputs_Lti_DoNotChangeWithTheInput()
    {
        var m = new MambaMixer(16, Lti, new Init(3));
        var a = ScanInputs(m, Random(1, 2, m.DInner, 5));
        var b = ScanInputs(m, Random(2, 2, m.DInner, 5));
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);
        Assert.DoesNotContain(m.NamedParameters(), p => p.Path.StartsWith("x_proj") || p.Path.StartsWith("dt_proj"));
        Assert.Contains(m.NamedParameters(), p => p.Path == "B");
    }

    [Fact]
    public void ScanInputs_Selective_ChangeWithTheInput()
    {
        var m = new MambaMixer(16, Lti with { Selectivity = SsmSelectivity.Selective }, new Init(3));
        var a = ScanInputs(m, Random(1, 2, m.DInner, 5));
        var b = ScanInputs(m, Random(2, 2, m.DInner, 5));
        Assert.NotEqual(a[0], b[0]);
        Assert.NotEqual(a[1], b[1]);
    }

    [Fact]
    public void Step_Lti_MatchesForward()
    {
        var model = new CausalLm(new ModelConfig { DModel = 16, NLayer = 2, VocabSize = 10, Ssm = Lti }, seed: 5);
        int[] ids = [1, 4, 2, 9, 0, 3, 3];
        var full = model.Forward(Tensor.FromArray(ids, 1, ids.Length)).ToArray();
        var cache = model.NewCache();
        int v = model.Config.PaddedVocabSize;
        for (int t = 0; t < ids.Length; t++)
        {
            var step = model.Step(Tensor.FromArray(new[] { ids[t] }, 1), cache).ToArray();
            for (int j = 0; j < v; j++) Assert.Equal(full[t * v + j], step[j], 3e-4f);
        }
    }

    [Fact]
    public void Backward_Lti_ReachesDtBiasBAndC()
    {
        var model = new CausalLm(new ModelConfig { DModel = 16, NLayer = 1, VocabSize = 10, Ssm = Lti }, seed: 5);
        model.SetRequiresGrad(true);
        var logits = model.Forward(Tensor.FromArray(new[] { 1, 4, 2, 9, 0, 3 }, 2, 3));
        F.Sum(F.Mul(logits, logits)).Backward();
        foreach (string name in new[] { "dt_bias", "B", "C" })
        {
            var g = model.GetParameter($"backbone.layers.0.mixer.{name}").Grad;
            Assert.NotNull(g);
            Assert.Contains(g!.ToArray(), x => x != 0);
        }
    }

    [Fact]
    public void SaveAndLoad_Lti_KeepsTheSelectivity()
    {
        string dir = Path.Combine(Path.GetTempPath(), "ssm-lti-" + Guid.NewGuid().ToString("N"));
        try
        {
            var model = new CausalLm(new ModelConfig { DModel = 16, NLayer = 1, VocabSize = 10, Ssm = Lti }, seed: 5);
            model.Save(dir);
            var loaded = ModelLoader.Load(dir);
            Assert.Equal(SsmSelectivity.Lti, loaded.Model.Config.Ssm.Selectivity);
            Assert.Empty(loaded.Warnings);
            Assert.Equal(model.GetParameter("backbone.layers.0.mixer.B").ToArray(),
                loaded.Model.GetParameter("backbone.layers.0.mixer.B").ToArray());
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }
}
