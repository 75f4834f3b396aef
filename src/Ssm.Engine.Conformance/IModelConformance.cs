using Ssm.Engine.Devices;

namespace Ssm.Engine.Conformance;

/// <summary>Runs the model golden cases (<c>models/&lt;name&gt;/golden.safetensors</c> against one
/// checkpoint format beside it: <c>native</c>, <c>hf</c>, <c>hf_bf16</c>, <c>hf_bf16_sharded</c>).
/// Discovered by reflection (public, parameterless constructor); while none exists, model cases are
/// skipped with the reason "model family not implemented".</summary>
public interface IModelConformance
{
    /// <summary>True when the device can run the models (otherwise the case is skipped with a reason).</summary>
    bool Supports(DeviceSpec device) => device.Kind == DeviceKind.Cpu;

    /// <summary>Loads the checkpoint in <paramref name="modelDir"/>/<paramref name="format"/>, runs the
    /// inputs of <paramref name="goldenPath"/> and returns one <see cref="TensorResult"/> per compared
    /// tensor (with the tolerance that applies to that format; see FORMAT.md §3 and §5), e.g. through
    /// <see cref="TensorComparison"/>.</summary>
    CaseOutcome Run(string modelDir, string format, string goldenPath, DeviceSpec device);
}
