using Ssm.Engine.Conformance.Families;
using Ssm.Engine.Kernels.Tests.Conv1d;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Kernels.Tests.Norm;

public class RmsNormGoldenTests
{
    public static IEnumerable<object[]> PlainCases => GoldenPaths.OpCaseData("rmsnorm");

    public static IEnumerable<object[]> GatedCases => GoldenPaths.OpCaseData("rmsnorm_gated");

    [Theory]
    [MemberData(nameof(PlainCases))]
    public void ForwardBackward_MatchesGolden_OnCpu(string file) => GoldenFamilyCheck.Run(new RmsNormFamily(), file);

    [Theory]
    [MemberData(nameof(GatedCases))]
    public void GatedForwardBackward_MatchesGolden_OnCpu(string file) =>
        GoldenFamilyCheck.Run(new RmsNormGatedFamily(), file);
}
