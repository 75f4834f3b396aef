using Ssm.Engine.Models.Nn;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Vision;

/// <summary>The timm / VMamba <c>Mlp</c>: fc1 (d → hidden) → GELU → fc2 (hidden → d), both with bias
/// (<c>fc1.*</c>, <c>fc2.*</c>).</summary>
public sealed class Mlp : Module
{
    /// <summary>An MLP of width <paramref name="dim"/> and hidden size <paramref name="hidden"/>.</summary>
    public Mlp(int dim, int hidden, Init init)
    {
        Fc1 = RegisterModule("fc1", new Linear(dim, hidden, true, init));
        Fc2 = RegisterModule("fc2", new Linear(hidden, dim, true, init));
    }

    /// <summary>First projection.</summary>
    public Linear Fc1 { get; }

    /// <summary>Second projection.</summary>
    public Linear Fc2 { get; }

    /// <summary>x: (..., d) → (..., d).</summary>
    public Tensor Forward(Tensor x) => Fc2.Forward(F.Gelu(Fc1.Forward(x)));
}
