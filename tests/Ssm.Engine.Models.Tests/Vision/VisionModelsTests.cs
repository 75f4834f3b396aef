using Ssm.Engine.Models.Nn;
using Ssm.Engine.Models.Vision;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Tests.Vision;

public class VisionModelsTests
{
    private static VisionModelConfig Tiny(VisionFamily f, int size = 28) => new()
    {
        Family = f, ImageSize = size, Dims = f is VisionFamily.Vim or VisionFamily.Vit ? [8] : [8, 16],
        Depths = f is VisionFamily.Vim or VisionFamily.Vit ? [2] : [1, 1], DState = 2, Heads = 2,
        MlpRatio = f == VisionFamily.MambaOut ? 8.0 / 3 : 2,
    };

    private static Tensor Images(int b, int size, int seed)
    {
        var rng = new Random(seed);
        var x = new float[b * size * size];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return Tensor.FromArray(x, b, 1, size, size);
    }

    public static IEnumerable<object[]> Families =>
        Enum.GetValues<VisionFamily>().Select(f => new object[] { f });

    [Theory]
    [MemberData(nameof(Families))]
    public void Logits_HaveBatchByClassesShape_AndEveryParameterGetsAGradient(VisionFamily family)
    {
        var model = VisionModels.Create(Tiny(family), seed: 1);
        model.SetRequiresGrad(true);
        var logits = model.Logits(Images(3, 28, 2));
        Assert.Equal([3, 10], logits.Shape);
        F.CrossEntropy(logits, Tensor.FromArray(new[] { 1, 4, 9 }, 3), 0.1).Backward();
        foreach (var (path, p) in model.NamedParameters())
        {
            Assert.True(p.Grad is not null, $"{family}: {path} has no gradient");
            Assert.Contains(p.Grad!.ToArray(), v => v != 0);
        }
    }

    [Theory]
    [InlineData(VisionFamily.Vmamba, 56)]
    [InlineData(VisionFamily.Vssd, 112)]
    [InlineData(VisionFamily.Vim, 56)]
    [InlineData(VisionFamily.Vit, 56)]
    public void Logits_OnUpsampledImages_KeepTheirShape(VisionFamily family, int size)
    {
        var model = VisionModels.Create(Tiny(family, size), seed: 1);
        Assert.Equal([2, 10], model.Logits(Images(2, size, 3)).Shape);
    }

    [Fact]
    public void Create_SameSeed_SameWeights_DifferentSeed_DifferentWeights()
    {
        var a = VisionModels.Create(Tiny(VisionFamily.Vssd), 5).NamedParameters().ToList();
        var b = VisionModels.Create(Tiny(VisionFamily.Vssd), 5).NamedParameters().ToList();
        var c = VisionModels.Create(Tiny(VisionFamily.Vssd), 6).NamedParameters().ToList();
        Assert.Equal(a.Select(p => p.Value.ToArray()), b.Select(p => p.Value.ToArray()));
        Assert.NotEqual(a.Select(p => p.Value.ToArray()), c.Select(p => p.Value.ToArray()));
    }

    [Fact]
    public void Vmamba_ParameterNames_FollowTheOfficialStateDict()
    {
        var names = VisionModels.Create(Tiny(VisionFamily.Vmamba), 1).NamedParameters().Select(p => p.Path).ToList();
        foreach (var n in new[]
                 {
                     "layers.0.blocks.0.op.x_proj_weight", "layers.0.blocks.0.op.dt_projs_weight",
                     "layers.0.blocks.0.op.A_logs", "layers.0.blocks.0.op.Ds", "layers.0.blocks.0.op.out_norm.weight",
                     "layers.0.blocks.0.norm2.weight", "layers.0.blocks.0.mlp.fc1.weight",
                     "layers.0.downsample.reduction.weight", "layers.0.downsample.norm.weight",
                     "classifier.head.weight",
                 })
            Assert.Contains(n, names);
        Assert.DoesNotContain("layers.0.blocks.0.op.conv2d.bias", names);                 // v2 tiny: conv bias off
    }

    [Fact]
    public void Vssd_ParameterNames_FollowTheOfficialStateDict()
    {
        var names = VisionModels.Create(Tiny(VisionFamily.Vssd), 1).NamedParameters().Select(p => p.Path).ToList();
        foreach (var n in new[]
                 {
                     "layers.0.blocks.0.cpe1.weight", "layers.0.blocks.0.attn.in_proj.weight",
                     "layers.0.blocks.0.attn.A_log", "layers.0.blocks.0.attn.dt_bias",
                     "layers.0.blocks.0.attn.conv2d.weight", "layers.0.blocks.0.cpe2.bias",
                 })
            Assert.Contains(n, names);
    }

    [Fact]
    public void PatchMerging2d_OddGrid_PadsToHalfSideAndDoublesChannels()
    {
        var m = new PatchMerging2d(3, 6, new Init(0));
        var x = Tensor.FromArray(Enumerable.Range(0, 2 * 7 * 5 * 3).Select(i => (float)Math.Sin(i)).ToArray(),
            2, 7, 5, 3);
        Assert.Equal([2, 4, 3, 6], m.Forward(x).Shape);
    }

    [Fact]
    public void PatchMerging2d_ConcatenatesTheFourPhasesInUpstreamOrder()
    {
        // reduction = identity on the 4 channels (C = 1) and a norm that keeps the values: weight 1, bias 0 only
        // standardises, so compare against the standardised concatenation computed by hand.
        var m = new PatchMerging2d(1, 4, new Init(0));
        var eye = new float[16];
        for (int i = 0; i < 4; i++) eye[i * 4 + i] = 1;
        m.SetParameter("reduction.weight", Tensor.FromArray(eye, 4, 4));
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 5 }, 1, 2, 2, 1);            // x[h, w]: 1 2 / 3 5
        var y = m.Forward(x).ToArray();
        float[] cat = [1, 3, 2, 5];                                                    // (0,0) (1,0) (0,1) (1,1)
        double mean = cat.Average(), sd = Math.Sqrt(cat.Select(v => (v - mean) * (v - mean)).Average() + 1e-5);
        for (int i = 0; i < 4; i++) Assert.Equal((cat[i] - mean) / sd, y[i], 4);
    }

    [Fact]
    public void Ss2d_RejectsEvenConv()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            new Ss2d(8, 2, 2, 4, true, Ss2dForwardType.V0, new Init(0)));
        Assert.Contains("[ss2d]", e.Message);
    }

    [Fact]
    public void VisionFamilyNames_ParseEveryName_AndRejectUnknown()
    {
        foreach (var (f, name) in VisionFamilyNames.All) Assert.Equal(f, VisionFamilyNames.Parse(name));
        Assert.Contains("vmamba", Assert.Throws<ArgumentException>(() => VisionFamilyNames.Parse("resnet")).Message);
    }

    [Fact]
    public void Config_JsonRoundTrips()
    {
        var c = Tiny(VisionFamily.MambaOut) with { PatchSize = 2 };
        Assert.True(VisionModelConfig.FromJson(c.ToJson()).SameAs(c));
        Assert.Throws<InvalidDataException>(() => VisionModelConfig.FromJson(c.ToJson().Replace("\"patch_size\": 2",
            "\"patch_size\": 3")));
    }
}
