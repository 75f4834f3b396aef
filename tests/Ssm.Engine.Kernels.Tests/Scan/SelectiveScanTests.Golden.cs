using Ssm.Engine.Conformance;
using Ssm.Engine.Conformance.Families;
using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Scan;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Kernels.Tests.Scan;

public partial class SelectiveScanTests
{
    public static IEnumerable<object[]> Cases() =>
        GoldenPaths.OpCaseData("selective_scan").Select(r => new object[] { "selective_scan", r[0] })
            .Concat(GoldenPaths.OpCaseData("selective_scan_init")
                .Select(r => new object[] { "selective_scan_init", r[0] }));

    [Theory]
    [MemberData(nameof(Cases))]
    public void CpuFamily_MatchesGolden_EveryOutputAndGradient(string family, string file)
    {
        using var golden = GoldenCase.Open(GoldenPaths.OpCase(family, file));
        IOpFamily fam = family == "selective_scan" ? new SelectiveScanFamily() : new SelectiveScanInitFamily();
        Assert.Equal(family, fam.Family);
        var got = fam.Run(golden, null, DeviceSpec.Cpu);
        int compared = 0;
        foreach (string name in golden.TensorNames.Where(n => n.StartsWith("out.") || n.StartsWith("grad.")))
        {
            Assert.True(got.ContainsKey(name), $"{file}: {name} not computed");
            var want = golden.Get(name);
            Assert.Equal(want.Shape, got[name].Shape);
            ScanAssert.Close($"{file} {name}", got[name].Data, want.Data,
                name.StartsWith("out.") ? golden.OutTolerance : golden.GradTolerance);
            compared++;
        }
        Assert.True(compared >= 2);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reference_MatchesGolden_EveryOutputAndGradient(string family, string file)
    {
        using var golden = GoldenCase.Open(GoldenPaths.OpCase(family, file));
        var (shape, options, xf) = SelectiveScanFamily.ReadInputs(golden);
        var x = ScanAssert.ToDouble(xf);
        var y = new double[x.U.Length];
        var last = new double[shape.Batch * shape.Dim * shape.State];
        SelectiveScan.Reference.Forward(shape, options, x, y, last);
        Check(golden, "out.y", y, golden.OutTolerance);
        if (golden.Has("out.last_state")) Check(golden, "out.last_state", last, golden.OutTolerance);
        var g = SelectiveScan.Reference.Backward(shape, options, x,
            ScanAssert.ToDoubleOrNull(golden.TryGet("grad_in.y")?.Data),
            ScanAssert.ToDoubleOrNull(golden.TryGet("grad_in.last_state")?.Data));
        foreach (var (name, data) in ScanAssert.Named(g))
            Check(golden, "grad." + name, data, golden.GradTolerance);
    }

    private static void Check(GoldenCase golden, string name, double[] got, Tolerance tol)
    {
        Assert.True(golden.Has(name), $"{golden.Case}: golden has no {name}");
        ScanAssert.Close($"{golden.Case} {name}", got, ScanAssert.ToDouble(golden.Get(name).Data), tol.Atol, tol.Rtol);
    }
}
