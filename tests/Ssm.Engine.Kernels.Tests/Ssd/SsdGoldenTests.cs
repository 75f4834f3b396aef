using Ssm.Engine.Conformance;
using Ssm.Engine.Conformance.Families;
using Ssm.Engine.Kernels.Ssd;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Kernels.Tests.Ssd;

/// <summary>Every golden case of ops/ssd, ops/ssd_equiv and ops/ssd_minimal, for both algorithms, forward and
/// every gradient, within the stored tolerances.</summary>
public class SsdGoldenTests
{
    public static IEnumerable<object[]> Cases(string family) =>
        GoldenPaths.OpCaseData(family).SelectMany(c => SsdCases.AlgorithmNames.Select(a => new[] { c[0], a }));

    public static IEnumerable<object[]> SsdCasesData => Cases("ssd");
    public static IEnumerable<object[]> EquivCasesData => Cases("ssd_equiv");
    public static IEnumerable<object[]> MinimalCasesData => Cases("ssd_minimal");

    [Theory, MemberData(nameof(SsdCasesData))]
    public void Cpu_MatchesGolden_Ssd(string file, string algorithm) =>
        Check("ssd", file, g => new SsdFamily().Run(g, algorithm, Devices.DeviceSpec.Cpu));

    [Theory, MemberData(nameof(EquivCasesData))]
    public void Cpu_MatchesGolden_SsdEquiv(string file, string algorithm) =>
        Check("ssd_equiv", file, g => new SsdEquivFamily().Run(g, algorithm, Devices.DeviceSpec.Cpu));

    [Theory, MemberData(nameof(MinimalCasesData))]
    public void Cpu_MatchesGolden_SsdMinimal(string file, string algorithm) =>
        Check("ssd_minimal", file, g => new SsdMinimalFamily().Run(g, algorithm, Devices.DeviceSpec.Cpu));

    public static IEnumerable<object[]> ReferenceCasesData => GoldenPaths.OpCaseData("ssd")
        .Concat(GoldenPaths.OpCaseData("ssd_equiv"));

    [Theory, MemberData(nameof(ReferenceCasesData))]
    public void Reference_MatchesGolden_Ssd(string file)
    {
        string family = File.Exists(GoldenPaths.OpCase("ssd", file)) ? "ssd" : "ssd_equiv";
        Check(family, file, g =>
        {
            var (s, o, x) = SsdCases.Load(g, SsdAlgorithm.Recurrent);
            var y = new float[s.XLength];
            var fin = new float[s.StateLength];
            Kernels.Ssd.Ssd.Reference.Forward(s, o, x, y, fin);
            var grads = SsdGradients<float>.Allocate(x);
            Kernels.Ssd.Ssd.Reference.Backward(s, o, x, g.Get("grad_in.y").Data,
                g.TryGet("grad_in.final_states")?.Data, grads);
            var r = new Dictionary<string, HostArray> { ["out.y"] = new(g.Get("out.y").Shape, y) };
            if (g.Has("out.final_states")) r["out.final_states"] = new(g.Get("out.final_states").Shape, fin);
            r["grad.x"] = new(g.Get("grad.x").Shape, grads.X);
            r["grad.dt"] = new(g.Get("grad.dt").Shape, grads.Dt);
            r["grad.A"] = new(g.Get("grad.A").Shape, grads.A);
            r["grad.B"] = new(g.Get("grad.B").Shape, grads.B);
            r["grad.C"] = new(g.Get("grad.C").Shape, grads.C);
            if (grads.D is not null) r["grad.D"] = new(g.Get("grad.D").Shape, grads.D);
            if (grads.Z is not null) r["grad.z"] = new(g.Get("grad.z").Shape, grads.Z);
            if (grads.DtBias is not null) r["grad.dt_bias"] = new(g.Get("grad.dt_bias").Shape, grads.DtBias);
            if (grads.InitialStates is not null)
                r["grad.initial_states"] = new(g.Get("grad.initial_states").Shape, grads.InitialStates);
            return r;
        }, requireAll: false);
    }

    private static void Check(string family, string file, Func<GoldenCase, IReadOnlyDictionary<string, HostArray>> run,
        bool requireAll = true)
    {
        using var g = GoldenCase.Open(GoldenPaths.OpCase(family, file));
        var got = run(g);
        var failures = new List<string>();
        foreach (var name in g.TensorNames.Where(n => n.StartsWith("out.") || n.StartsWith("grad.")))
        {
            if (!got.TryGetValue(name, out var mine))
            {
                if (requireAll) failures.Add($"{name}: missing");
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
            if (!(maxDiff <= tol.Bound(maxAbs)))
                failures.Add($"{name}: max|diff| {maxDiff:g3} > {tol.Bound(maxAbs):g3}");
        }
        Assert.True(failures.Count == 0, $"{family}/{file}: " + string.Join("; ", failures));
    }
}
