using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Conv1d;
using Ssm.Engine.Tensors;
using static Ssm.Engine.Ops.SsmOpSupport;

namespace Ssm.Engine.Ops;

public static partial class F
{
    /// <summary>Causal depthwise conv1d (<see cref="Kernels.Conv1d.CausalConv1d"/>) as a differentiable op.
    /// x, y: (B, D, L); weight: (D, K) or (D, 1, K); bias: (D); initialStates, finalStates: (B, D, K-1) (the
    /// K-1 inputs before x, oldest first). Both outputs are differentiable, on the host and on ILGPU devices.</summary>
    public static (Tensor Y, Tensor FinalStates) CausalConv1d(Tensor x, Tensor weight, Tensor? bias = null,
        bool silu = false, Tensor? initialStates = null)
    {
        const string op = "causal_conv1d";
        Rank(op, "x", x, 3, "(B, D, L)");
        int b = x.Shape[0], d = x.Shape[1], l = x.Shape[2];
        if (weight.Rank == 3 && weight.Shape[1] == 1) weight = weight.Reshape(weight.Shape[0], weight.Shape[2]);
        Rank(op, "weight", weight, 2, "(D, K)");
        int k = weight.Shape[1];
        Expect(op, "weight", weight, d, k);
        Expect(op, "bias", bias, d);
        Expect(op, "initial_states", initialStates, b, d, k - 1);
        var s = new CausalConv1dShape(b, d, l, k);
        var o = new CausalConv1dOptions(silu, Par.MaxThreads);
        if (x.Device.IsGpu()) return DeviceOps.CausalConv1d(x, weight, bias, initialStates, s, o);
        float[] xs = Need(x), ws = Need(weight);
        float[]? bs = Floats(bias), hs = Floats(initialStates);
        var y = new float[b * d * l];
        var final = new float[b * d * (k - 1)];
        Kernels.Conv1d.CausalConv1d.Cpu.Forward(s, xs, ws, bs, hs, y, final, o);
        Tensor?[] inputs = [x, weight, bias, initialStates];
        Func<float[], float[]?, Tensor?[]> backward = (dy, dFinal) =>
        {
            var dx = new float[xs.Length];
            var dw = new float[ws.Length];
            var db = bs is null ? null : new float[d];
            var dh = hs is null ? null : new float[hs.Length];
            Kernels.Conv1d.CausalConv1d.Cpu.Backward(s, xs, ws, bs, hs, dy, dFinal, dx, dw, db, dh, o);
            return [Grad(x, dx), Grad(weight, dw), Grad(bias, db), Grad(initialStates, dh)];
        };
        var yt = Record(Tensor.FromArray(y, b, d, l), op, inputs, g => backward(Need(g), null));
        var ft = Record(Tensor.FromArray(final, b, d, k - 1), op + "_final_states", inputs,
            g => backward(new float[y.Length], Need(g)));
        return (yt, ft);
    }
}
