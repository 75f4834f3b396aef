using Ssm.Engine.Conformance.Families;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Kernels.Tests.Conv1d;

public class CausalConv1dGoldenTests
{
    public static IEnumerable<object[]> ConvCases => GoldenPaths.OpCaseData("causal_conv1d");

    public static IEnumerable<object[]> UpdateCases => GoldenPaths.OpCaseData("causal_conv1d_update");

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void ForwardBackward_MatchesGolden_OnCpu(string file) =>
        GoldenFamilyCheck.Run(new CausalConv1dFamily(), file);

    [Theory]
    [MemberData(nameof(UpdateCases))]
    public void StepForwardBackward_MatchesGolden_OnCpu(string file) =>
        GoldenFamilyCheck.Run(new CausalConv1dUpdateFamily(), file);
}
