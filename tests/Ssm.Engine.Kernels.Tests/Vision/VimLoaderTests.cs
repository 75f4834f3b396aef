using System.Text.Json;
using Ssm.Engine.Conformance;
using Ssm.Engine.Conformance.Families;
using Ssm.Engine.IO;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Models.Vision;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Kernels.Tests.Vision;

public sealed class VimLoaderTests : IDisposable
{
    private const string CaseFile = "p7_d32_depth2_cls10.safetensors";
    private readonly string _tmp = Path.Combine(Path.GetTempPath(), "vim-loader-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_tmp)) Directory.Delete(_tmp, recursive: true);
    }

    private static GoldenCase OpenCase() => GoldenCase.Open(GoldenPaths.OpCase("vim_model", CaseFile));

    [Fact]
    public void Load_OfficialCheckpoint_ReproducesGoldenLogits()
    {
        using var golden = OpenCase();
        var model = VimLoader.Load(VimModelFamily.CheckpointDir(golden));
        var x = golden.Get("in.x");
        var logits = model.Forward(Tensor.FromArray(x.Data, x.Shape)).Logits;
        var want = golden.Get("out.logits");
        Assert.Equal(want.Shape, logits.Shape);
        var got = logits.ToArray();
        double bound = golden.OutTolerance.Bound(want.Data.Max(v => Math.Abs((double)v)));
        for (int i = 0; i < got.Length; i++) Assert.InRange(Math.Abs((double)got[i] - want.Data[i]), 0, bound);
    }

    [Fact]
    public void NamedParameters_FollowUpstreamStateDictNamesAndOrder()
    {
        using var golden = OpenCase();
        var model = VimLoader.Load(VimModelFamily.CheckpointDir(golden));
        var upstream = golden.TensorNames.Where(n => n.StartsWith("in.", StringComparison.Ordinal) && n != "in.x")
            .Select(n => n[3..]).ToList();
        Assert.Equal(upstream, model.NamedParameters().Select(p => p.Path).ToList());
    }

    [Fact]
    public void Load_MissingTensor_ThrowsNamingIt()
    {
        string dir = CopyCheckpoint(skip: "layers.1.mixer.dt_proj_b.bias");
        var ex = Assert.Throws<CheckpointException>(() => VimLoader.Load(dir));
        Assert.Equal(["layers.1.mixer.dt_proj_b.bias"], ex.Missing);
        Assert.Empty(ex.Unexpected);
        Assert.Contains("missing tensors: layers.1.mixer.dt_proj_b.bias", ex.Message);
    }

    [Fact]
    public void Load_WrongShape_ThrowsNamingExpectedAndFoundShapes()
    {
        string dir = CopyCheckpoint(reshape: ("head.weight", [5, 64]));
        var ex = Assert.Throws<CheckpointException>(() => VimLoader.Load(dir));
        Assert.Single(ex.ShapeMismatches);
        Assert.Contains("head.weight", ex.ShapeMismatches[0]);
        Assert.Contains(ShapeUtil.Format([10, 32]), ex.ShapeMismatches[0]);
        Assert.Contains(ShapeUtil.Format([5, 64]), ex.ShapeMismatches[0]);
    }

    [Fact]
    public void Load_UnexpectedTensor_ThrowsNamingIt()
    {
        string dir = CopyCheckpoint(extra: "layers.2.norm.weight");
        var ex = Assert.Throws<CheckpointException>(() => VimLoader.Load(dir));
        Assert.Equal(["layers.2.norm.weight"], ex.Unexpected);
        Assert.Empty(ex.Missing);
    }

    [Fact]
    public void ReadConfig_UnsupportedBimambaType_Throws()
    {
        using var doc = JsonDocument.Parse("""{"embed_dim": 32, "bimamba_type": "v1"}""");
        var ex = Assert.Throws<NotSupportedException>(() => VimConfig.FromJson(doc.RootElement));
        Assert.Contains("bimamba_type", ex.Message);
    }

    [Fact]
    public void ReadConfig_DefaultDtRank_IsCeilOfWidthOver16()
    {
        using var doc = JsonDocument.Parse("""{"embed_dim": 40, "ssm_cfg": {"dt_rank": "auto"}}""");
        Assert.Equal(3, VimConfig.FromJson(doc.RootElement).DtRank);
    }

    /// <summary>Copies the golden checkpoint, leaving out, reshaping or adding one tensor.</summary>
    private string CopyCheckpoint(string? skip = null, (string Name, int[] Shape)? reshape = null, string? extra = null)
    {
        using var golden = OpenCase();
        string src = VimModelFamily.CheckpointDir(golden);
        Directory.CreateDirectory(_tmp);
        File.Copy(Path.Combine(src, "config.json"), Path.Combine(_tmp, "config.json"));
        var tensors = new List<SafetensorsTensor>();
        using (var source = CheckpointFiles.OpenWeights(src))
        {
            foreach (string name in source.TensorNames)
            {
                if (name == skip) continue;
                var data = source.ReadFloat32(name);
                var shape = source.Describe(name).Shape;
                if (reshape is { } r && r.Name == name)
                {
                    shape = r.Shape;
                    data = new float[ShapeUtil.NumEl(shape)];
                }
                tensors.Add(SafetensorsTensor.FromFloat32(name, shape, data));
                if (extra is not null && name == "norm_f.weight")
                    tensors.Add(SafetensorsTensor.FromFloat32(extra, shape, data));
            }
        }
        SafetensorsWriter.Write(Path.Combine(_tmp, "model.safetensors"), tensors);
        return _tmp;
    }
}
