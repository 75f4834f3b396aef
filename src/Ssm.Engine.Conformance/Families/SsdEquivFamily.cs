using Ssm.Engine.Devices;

namespace Ssm.Engine.Conformance.Families;

/// <summary>Golden family <c>ssd_equiv</c>: chunked vs recurrent SSD (FORMAT.md 4.5). The recurrent outputs
/// always come from the recurrence; every algorithm runs as its own case.</summary>
public sealed class SsdEquivFamily : IOpFamily
{
    /// <inheritdoc/>
    public string Family => "ssd_equiv";

    /// <inheritdoc/>
    public IReadOnlyList<string> Algorithms => SsdCases.AlgorithmNames;

    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) =>
        device.Kind == DeviceKind.Cpu || FamilyDevices.IsGpuAvailable(device);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device) =>
        SsdCases.RunSsd(golden, algorithm, equiv: true, device);
}
