using Ssm.Engine.Conformance;
using Ssm.Engine.Conformance.Families;
using Ssm.Engine.Devices;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Kernels.Tests.Gpu;

/// <summary>A few small golden cases of the selective scan, decode step and SSD families run on the ILGPU CPU
/// accelerators through the conformance families (so the routing to the Gpu kernels is covered too), every
/// out.* and grad.* tensor within the stored tolerances.</summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class RecurrentGpuGoldenTests
{
    public static TheoryData<string, string, string?, string> Cases()
    {
        var data = new TheoryData<string, string, string?, string>();
        foreach (string device in new[] { "ilgpu-cpu", "ilgpu-cpu-warp32" })
        {
            data.Add("selective_scan", "g1_full_L7", null, device);
            data.Add("selective_scan", "g2_full_L128", null, device);
            data.Add("selective_scan_init", "constB_noz_L33", null, device);
            data.Add("selective_state_update", "dim16_full", null, device);
            data.Add("selective_state_update", "heads8_g4_z", null, device);
            data.Add("ssd", "c16_L37_g2_Dhp_init", "recurrent", device);
            data.Add("ssd_equiv", "c64_L129_init", "chunked", device);
            data.Add("ssd_minimal", "L64_b16_init", "chunked", device);
        }
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Family_MatchesGolden_OnIlgpuCpu(string family, string file, string? algorithm, string device)
    {
        var spec = DeviceSpec.Parse(device);
        IOpFamily op = family switch
        {
            "selective_scan" => new SelectiveScanFamily(),
            "selective_scan_init" => new SelectiveScanInitFamily(),
            "selective_state_update" => new SelectiveStateUpdateFamily(),
            "ssd" => new SsdFamily(),
            "ssd_equiv" => new SsdEquivFamily(),
            _ => new SsdMinimalFamily(),
        };
        Assert.Equal(family, op.Family);
        Assert.True(op.Supports(spec), $"{family} does not support {device}");
        using var g = GoldenCase.Open(GoldenPaths.OpCase(family, file + ".safetensors"));
        var got = op.Run(g, algorithm, spec);
        var failures = new List<string>();
        int compared = 0;
        foreach (var name in g.TensorNames.Where(n => n.StartsWith("out.") || n.StartsWith("grad.")))
        {
            if (!got.TryGetValue(name, out var mine))
            {
                failures.Add($"{name}: missing");
                continue;
            }
            var want = g.Get(name);
            Assert.Equal(want.Shape, mine.Shape);
            double maxDiff = 0, maxAbs = 0;
            for (int i = 0; i < want.Data.Length; i++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs((double)mine.Data[i] - want.Data[i]));
                maxAbs = Math.Max(maxAbs, Math.Abs((double)want.Data[i]));
            }
            var tol = name.StartsWith("out.") ? g.OutTolerance : g.GradTolerance;
            double bound = tol.Bound(maxAbs);
            if (!(maxDiff <= bound)) failures.Add($"{name}: max|diff| {maxDiff:g3} > {bound:g3}");
            compared++;
        }
        Assert.True(compared > 1, $"{family}/{file}: no tensors compared");
        Assert.True(failures.Count == 0, $"{family}/{file} on {device}: " + string.Join("; ", failures));
    }
}
