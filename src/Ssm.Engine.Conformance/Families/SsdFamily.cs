using Ssm.Engine.Devices;

namespace Ssm.Engine.Conformance.Families;

/// <summary>Golden family <c>ssd</c>: the Mamba-2 chunked scan (FORMAT.md 4.4); every algorithm runs as its
/// own case.</summary>
public sealed class SsdFamily : IOpFamily
{
    /// <inheritdoc/>
    public string Family => "ssd";

    /// <inheritdoc/>
    public IReadOnlyList<string> Algorithms => SsdCases.AlgorithmNames;

    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) =>
        device.Kind == DeviceKind.Cpu || FamilyDevices.IsGpuAvailable(device);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device) =>
        SsdCases.RunSsd(golden, algorithm, equiv: false, device);
}
