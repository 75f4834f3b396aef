using Ssm.Engine.Tensors;

namespace Ssm.Engine.Autograd;

/// <summary>Gradient recording: the grad mode (<see cref="NoGrad"/>) and the extension point
/// <see cref="Record"/> through which every op (built-in or custom) attaches its backward rule.</summary>
/// <remarks>
/// A custom primitive computes its forward on contiguous data, then records a closure that maps the
/// output gradient to input gradients (same shapes as the inputs). Backward closures run with grad
/// recording off and may use any tensor op:
/// <code>
/// public static Tensor Square(Tensor x)
/// {
///     var xc = x.Contiguous();
///     var y = Tensor.Zeros(xc.Shape);
///     var xs = xc.Span&lt;float&gt;(); var ys = y.Span&lt;float&gt;();
///     for (int i = 0; i &lt; ys.Length; i++) ys[i] = xs[i] * xs[i];
///     return Tape.Record(y, "square", [x], g =&gt; [g * xc * 2.0]);
/// }
/// </code>
/// </remarks>
public static class Tape
{
    private static readonly AsyncLocal<int> NoGradDepth = new();

    /// <summary>False inside a <see cref="NoGrad"/> scope (per thread / async flow).</summary>
    public static bool IsGradEnabled => NoGradDepth.Value == 0;

    /// <summary>Disables recording until the returned scope is disposed:
    /// <c>using (Tape.NoGrad()) { ... }</c>. Scopes nest.</summary>
    public static IDisposable NoGrad()
    {
        NoGradDepth.Value++;
        return new Scope();
    }

    private sealed class Scope : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            NoGradDepth.Value--;
        }
    }

    /// <summary>Attaches <paramref name="backward"/> to <paramref name="output"/> when recording is on and any
    /// input requires gradients; returns <paramref name="output"/>. The backward receives the gradient of
    /// the output (same shape) and returns one gradient per input, in order, shaped like that input
    /// (null for inputs that get none, e.g. index tensors).</summary>
    public static Tensor Record(Tensor output, string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        if (!IsGradEnabled || !inputs.Any(t => t.RequiresGrad)) return output;
        if (!output.IsLeaf) throw new InvalidOperationException($"[{name}] output already has a recorded op");
        output.GradFn = new Node(name, inputs, backward);
        output.MarkRequiresGrad();
        return output;
    }

    /// <summary>Records an op with no derivative: differentiating through <paramref name="output"/> throws
    /// <see cref="NotDifferentiableException"/> naming <paramref name="name"/>.</summary>
    public static Tensor RecordNotDifferentiable(Tensor output, string name, params Tensor[] inputs) =>
        Record(output, name, inputs, _ => throw new NotDifferentiableException(name));
}
