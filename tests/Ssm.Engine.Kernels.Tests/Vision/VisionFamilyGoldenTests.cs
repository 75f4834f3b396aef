using Ssm.Engine.Conformance.Families;
using Ssm.Engine.Kernels.Tests.Conv1d;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Kernels.Tests.Vision;

public class VisionFamilyGoldenTests
{
    public static IEnumerable<object[]> CrossScanCases => GoldenPaths.OpCaseData("cross_scan");
    public static IEnumerable<object[]> CrossMergeCases => GoldenPaths.OpCaseData("cross_merge");
    public static IEnumerable<object[]> GatedCnnCases => GoldenPaths.OpCaseData("gated_cnn_block");
    public static IEnumerable<object[]> NcSsdCases => GoldenPaths.OpCaseData("nc_ssd");
    public static IEnumerable<object[]> VssdMixerCases => GoldenPaths.OpCaseData("vssd_mixer");
    public static IEnumerable<object[]> VimBlockCases => GoldenPaths.OpCaseData("vim_block");
    public static IEnumerable<object[]> VimModelCases => GoldenPaths.OpCaseData("vim_model");
    public static IEnumerable<object[]> Ss2dCases => GoldenPaths.OpCaseData("ss2d");

    [Theory]
    [MemberData(nameof(CrossScanCases))]
    public void CrossScan_MatchesGolden(string file) => GoldenFamilyCheck.Run(new CrossScanFamily(), file);

    [Theory]
    [MemberData(nameof(CrossMergeCases))]
    public void CrossMerge_MatchesGolden(string file) => GoldenFamilyCheck.Run(new CrossMergeFamily(), file);

    [Theory]
    [MemberData(nameof(GatedCnnCases))]
    public void GatedCnnBlock_MatchesGolden(string file) => GoldenFamilyCheck.Run(new GatedCnnBlockFamily(), file);

    [Theory]
    [MemberData(nameof(NcSsdCases))]
    public void NcSsd_MatchesGolden(string file) => GoldenFamilyCheck.Run(new NcSsdFamily(), file);

    [Theory]
    [MemberData(nameof(VssdMixerCases))]
    public void VssdMixer_MatchesGolden(string file) => GoldenFamilyCheck.Run(new VssdMixerFamily(), file);

    [Theory]
    [MemberData(nameof(VimBlockCases))]
    public void VimBlock_MatchesGolden(string file) => GoldenFamilyCheck.Run(new VimBlockFamily(), file);

    [Theory]
    [MemberData(nameof(VimModelCases))]
    public void VimModel_MatchesGolden(string file) => GoldenFamilyCheck.Run(new VimModelFamily(), file);

    [Theory]
    [MemberData(nameof(Ss2dCases))]
    public void Ss2d_MatchesGolden(string file) => GoldenFamilyCheck.Run(new Ss2dFamily(), file);
}
