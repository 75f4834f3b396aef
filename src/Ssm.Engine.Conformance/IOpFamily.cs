using Ssm.Engine.Devices;

namespace Ssm.Engine.Conformance;

/// <summary>Runs one golden op family on the engine. An implementation reads the case's <c>in.*</c>
/// and <c>grad_in.*</c> tensors, runs the op forward and backward on the given device, and
/// returns every output it computed keyed by the golden name (<c>out.y</c>, <c>grad.u</c>, ...).
/// The runner compares them with the file; a golden tensor missing from the result is a failure.
/// Implementations are discovered by reflection (public, parameterless constructor).</summary>
public interface IOpFamily
{
    /// <summary>The family name as written in the golden metadata.</summary>
    string Family { get; }

    /// <summary>Algorithm variants; each runs as its own case (<c>id#variant</c>). Empty for a single
    /// algorithm.</summary>
    IReadOnlyList<string> Algorithms { get; }

    /// <summary>True when the device can run this family (otherwise the case is skipped with a reason).</summary>
    bool Supports(DeviceSpec device) => device.Kind == DeviceKind.Cpu;

    /// <summary>Computes outputs and gradients. <paramref name="algorithm"/> is null when
    /// <see cref="Algorithms"/> is empty.</summary>
    IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device);
}
