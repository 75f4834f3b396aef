using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Nn;

/// <summary>mamba_ssm GatedMLP: [a | g] = fc1(x) (value first, then gate), y = fc2(a · silu(g)).</summary>
public sealed class GatedMlp : Module
{
    private readonly Linear _fc1, _fc2;

    /// <summary>Hidden size is <paramref name="hidden"/> rounded up to a multiple of 128 (upstream).</summary>
    public GatedMlp(int dim, int hidden, Init init)
    {
        Hidden = (hidden + 127) / 128 * 128;
        _fc1 = RegisterModule("fc1", new Linear(dim, 2 * Hidden, false, init));
        _fc2 = RegisterModule("fc2", new Linear(Hidden, dim, false, init));
    }

    /// <summary>Hidden width (after rounding).</summary>
    public int Hidden { get; }

    /// <summary>x: (..., D) → (..., D).</summary>
    public Tensor Forward(Tensor x)
    {
        var h = F.Split(_fc1.Forward(x), [Hidden, Hidden], -1);
        return _fc2.Forward(h[0] * F.Silu(h[1]));
    }
}
