using Ssm.Engine.Devices;

namespace Ssm.Engine.Conformance.Families;

/// <summary>Golden family <c>ssd_minimal</c>: the pre-discretised SSD, ssd_minimal_discrete (FORMAT.md 4.6);
/// every algorithm runs as its own case.</summary>
public sealed class SsdMinimalFamily : IOpFamily
{
    /// <inheritdoc/>
    public string Family => "ssd_minimal";

    /// <inheritdoc/>
    public IReadOnlyList<string> Algorithms => SsdCases.AlgorithmNames;

    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) =>
        device.Kind == DeviceKind.Cpu || FamilyDevices.IsGpuAvailable(device);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device) =>
        SsdCases.RunMinimal(golden, algorithm, device);
}
