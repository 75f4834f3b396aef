using Ssm.Engine.Conformance;
using Ssm.Engine.Devices;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Kernels.Tests.Conv1d;

/// <summary>Runs an op family on one golden case and checks every <c>out.*</c> and <c>grad.*</c> tensor of the file
/// against the stored tolerance (max|got − golden| ≤ atol + rtol·max|golden|).</summary>
internal static class GoldenFamilyCheck
{
    public static void Run(IOpFamily family, string fileName, DeviceSpec? device = null)
    {
        using var golden = GoldenCase.Open(GoldenPaths.OpCase(family.Family, fileName));
        var got = family.Run(golden, null, device ?? DeviceSpec.Cpu);
        var expected = golden.TensorNames.Where(n => n.StartsWith("out.") || n.StartsWith("grad.")).ToList();
        Assert.NotEmpty(expected);
        foreach (string name in expected)
        {
            Assert.True(got.ContainsKey(name), $"{fileName}: {name} not produced");
            var want = golden.Get(name);
            var have = got[name];
            Assert.Equal(want.Shape, have.Shape);
            var tol = name.StartsWith("out.") ? golden.OutTolerance : golden.GradTolerance;
            double maxAbs = want.Data.Max(v => Math.Abs((double)v)), err = 0;
            for (int i = 0; i < want.Data.Length; i++)
                err = Math.Max(err, Math.Abs((double)have.Data[i] - want.Data[i]));
            Assert.True(err <= tol.Bound(maxAbs),
                $"{fileName}: {name} max err {err:E3} > bound {tol.Bound(maxAbs):E3}");
        }
    }
}
