using Ssm.Engine.Models.Nn;
using Ssm.Engine.Models.Vision;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Conformance.Tests.Vision;

/// <summary>The reusable vision modules, built by their constructors, hold exactly the golden cases' parameter
/// inputs under the official state-dict names and reproduce out.y with those weights loaded.</summary>
public class VisionModuleGoldenTests
{
    private static void Check(Module module, string family, string file, Func<GoldenCase, Tensor, Tensor> forward,
        string input)
    {
        using var golden = GoldenCase.Open(GoldenPaths.OpCase(family, file));
        var names = module.NamedParameters().Select(p => p.Path).Order(StringComparer.Ordinal).ToList();
        var inputs = golden.TensorNames.Where(n => n.StartsWith("in.") && n != "in." + input)
            .Select(n => n[3..]).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(inputs, names);
        foreach (var n in names)
        {
            var a = golden.Get("in." + n);
            module.SetParameter(n, Tensor.FromArray(a.Data, a.Shape));
        }
        var x = golden.Get("in." + input);
        var y = forward(golden, Tensor.FromArray(x.Data, x.Shape)).ToArray();
        var want = golden.Get("out.y");
        double maxAbs = want.Data.Max(v => Math.Abs((double)v)), err = 0;
        for (int i = 0; i < want.Data.Length; i++) err = Math.Max(err, Math.Abs((double)y[i] - want.Data[i]));
        Assert.True(err <= golden.OutTolerance.Bound(maxAbs), $"{file}: max err {err:E3}");
    }

    [Theory]
    [InlineData("v0_c16_h5_w7_n4.safetensors", Ss2dForwardType.V0, 4, true)]
    [InlineData("v05noz_c16_h4_w4_n1_r1_nobias.safetensors", Ss2dForwardType.V05NoZ, 1, false)]
    [InlineData("v05noz_c16_h6_w4_n4.safetensors", Ss2dForwardType.V05NoZ, 4, true)]
    public void Ss2d_MatchesGolden(string file, Ss2dForwardType type, int dState, bool convBias)
    {
        using var g = GoldenCase.Open(GoldenPaths.OpCase("ss2d", file));
        double ratio = g.Double("ssm_ratio", 2);
        var m = new Ss2d(g.Int("d_model"), dState, ratio, g.Int("d_conv", 3), convBias, type, new Init(1));
        Check(m, "ss2d", file, (_, x) => m.Forward(x), "x");
    }

    [Theory]
    [InlineData("c16_h5_w7_nh2_n8_pos.safetensors")]
    [InlineData("c16_h4_w4_nh4_g2_neg.safetensors")]
    public void VssdMixer_MatchesGolden(string file)
    {
        using var g = GoldenCase.Open(GoldenPaths.OpCase("vssd_mixer", file));
        var m = new VssdMixer(g.Int("d_model"), g.Int("d_state"), g.Int("expand", 2), g.Int("headdim"),
            g.Int("ngroups", 1), g.Int("d_conv", 3), g.Flag("positive_dA"), new Init(1));
        Check(m, "vssd_mixer", file, (c, u) => m.Forward(u, c.Int("H"), c.Int("W")), "u");
    }

    [Theory]
    [InlineData("c24_h7_w7_k7.safetensors")]
    [InlineData("c16_h5_w6_k3_r05.safetensors")]
    public void GatedCnnBlock_MatchesGolden(string file)
    {
        using var g = GoldenCase.Open(GoldenPaths.OpCase("gated_cnn_block", file));
        var m = new GatedCnnBlock(g.Int("dim"), new Init(1), g.Double("expansion_ratio"), g.Int("kernel_size"),
            g.Double("conv_ratio"), g.Double("eps", 1e-6));
        Check(m, "gated_cnn_block", file, (_, x) => m.Forward(x), "x");
    }
}
