using Ssm.Engine.Devices;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Conformance.Families;

/// <summary>Runs a golden case through the engine's autograd: every floating <c>in.*</c> tensor becomes a
/// float32 leaf requiring gradients on the run's device (keyed without the <c>in.</c> prefix, e.g.
/// <c>norm.weight</c>), the forward returns outputs keyed without <c>out.</c>, and the backward of
/// S = Σ_k Σ grad_in.k ⊙ out.k fills <c>grad.*</c> for every input leaf. On an ILGPU device the leaves, the
/// cotangents and every intermediate live on the device; only the results are downloaded.</summary>
internal static class AutogradFamily
{
    /// <summary>Forward, then backward when the file holds cotangents; returns out.* and grad.* arrays.</summary>
    public static Dictionary<string, HostArray> Run(GoldenCase golden, DeviceSpec device,
        Func<IReadOnlyDictionary<string, Tensor>, IReadOnlyDictionary<string, Tensor>> forward)
    {
        var inputs = new Dictionary<string, Tensor>();
        foreach (string name in golden.TensorNames.Where(n => n.StartsWith("in.", StringComparison.Ordinal)))
        {
            var a = golden.Get(name);
            inputs[name[3..]] = Tensor.FromArray(a.Data, a.Shape).To(device).WithRequiresGrad();
        }
        var outputs = forward(inputs);
        var result = new Dictionary<string, HostArray>();
        Tensor? s = null;
        foreach (var (name, y) in outputs)
        {
            result["out." + name] = new HostArray(y.Shape, Host(y));
            if (!golden.Has("grad_in." + name)) continue;
            var g = golden.Get("grad_in." + name);
            var term = F.Sum(F.Mul(y, Tensor.FromArray(g.Data, g.Shape).To(device)));
            s = s is null ? term : F.Add(s, term);
        }
        if (s is null || !s.RequiresGrad) return result;
        s.Backward();
        foreach (var (name, leaf) in inputs)
            result["grad." + name] = new HostArray(leaf.Shape,
                leaf.Grad is null ? new float[leaf.NumEl] : Host(leaf.Grad));
        return result;
    }

    /// <summary>The values of <paramref name="t"/> on the host (downloaded from a device).</summary>
    public static float[] Host(Tensor t) => t.Detach().To(DeviceSpec.Cpu).ToArray();
}
