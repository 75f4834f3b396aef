using Ssm.Engine.Autograd;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Ops;

/// <summary>Glue between tensors and the span/array kernels of the fused SSM ops: contiguous float32
/// buffers in, gradients out, and two-output recording.</summary>
internal static class SsmOpSupport
{
    /// <summary>The tensor's values as a contiguous float32 array (no copy when the tensor already owns a
    /// whole float32 storage); null stays null.</summary>
    public static float[]? Floats(Tensor? t)
    {
        if (t is null) return null;
        var c = t.Detach();
        if (c.DType != DType.Float32) c = c.To(DType.Float32);
        c = c.Contiguous();
        var data = c.Data<float>();
        return c.Offset == 0 && data.Length == c.NumEl ? data : c.Span<float>().ToArray();
    }

    /// <summary>Non-null float32 data (see <see cref="Floats"/>).</summary>
    public static float[] Need(Tensor t) => Floats(t)!;

    /// <summary>The gradient for <paramref name="input"/> as a tensor of its shape, or null when the input is
    /// absent, does not require grad, or the kernel gave none.</summary>
    public static Tensor? Grad(Tensor? input, float[]? g) =>
        input is null || g is null || !input.RequiresGrad ? null : Tensor.FromArray(g, input.Shape).To(input.DType);

    /// <summary>Records one output of an op whose inputs may be absent: only the present inputs enter the
    /// graph, and <paramref name="backward"/> returns one gradient per entry of <paramref name="inputs"/>
    /// (absent entries included).</summary>
    public static Tensor Record(Tensor output, string name, Tensor?[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        var present = inputs.Where(t => t is not null).Cast<Tensor>().ToArray();
        return Tape.Record(output, name, present, g =>
        {
            var all = backward(g);
            var picked = new List<Tensor?>(present.Length);
            for (int i = 0; i < inputs.Length; i++)
                if (inputs[i] is not null) picked.Add(all[i]);
            return [.. picked];
        });
    }

    /// <summary>Throws <c>[op] name shape ... expected ...</c> unless <paramref name="t"/> has the given
    /// shape.</summary>
    public static void Expect(string op, string name, Tensor? t, params int[] shape)
    {
        if (t is null || t.Shape.AsSpan().SequenceEqual(shape)) return;
        throw new ArgumentException(
            $"[{op}] {name} has shape {ShapeUtil.Format(t.Shape)}, expected {ShapeUtil.Format(shape)}");
    }

    /// <summary>Throws unless <paramref name="t"/> has rank <paramref name="rank"/>.</summary>
    public static void Rank(string op, string name, Tensor t, int rank, string dims)
    {
        if (t.Rank != rank)
            throw new ArgumentException($"[{op}] {name} {dims} has shape {ShapeUtil.Format(t.Shape)}");
    }
}
