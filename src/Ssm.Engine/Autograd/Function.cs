using Ssm.Engine.Tensors;

namespace Ssm.Engine.Autograd;

/// <summary>Base class for a custom differentiable primitive whose forward works on contiguous data and
/// keeps whatever it needs for the backward in fields. Use one instance per call.</summary>
/// <example><code>
/// sealed class ScaleBy2 : Function
/// {
///     public override string Name =&gt; "scale_by_2";
///     protected override Tensor Forward(Tensor[] x)
///     {
///         var y = Tensor.Zeros(x[0].Shape);
///         TensorPrimitives.Multiply(x[0].Span&lt;float&gt;(), 2f, y.Span&lt;float&gt;());
///         return y;
///     }
///     protected override Tensor?[] Backward(Tensor dy) =&gt; [dy * 2.0];
/// }
/// var y = new ScaleBy2().Apply(x);
/// </code></example>
public abstract class Function
{
    /// <summary>Op name used in error messages.</summary>
    public abstract string Name { get; }

    /// <summary>Computes the output from contiguous inputs (grad recording is off here).</summary>
    protected abstract Tensor Forward(Tensor[] inputs);

    /// <summary>Gradients for each input (shaped like it, or null) given the output gradient.</summary>
    protected abstract Tensor?[] Backward(Tensor outputGrad);

    /// <summary>Runs <see cref="Forward"/> on contiguous copies/views of the inputs and records
    /// <see cref="Backward"/> on the result.</summary>
    public Tensor Apply(params Tensor[] inputs)
    {
        var contiguous = inputs.Select(t => t.Detach().Contiguous()).ToArray();
        Tensor y;
        using (Tape.NoGrad()) y = Forward(contiguous).Detach();
        return Tape.Record(y, Name, inputs, Backward);
    }
}
