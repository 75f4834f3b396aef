using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Scan;
using Ssm.Engine.Tensors;
using static Ssm.Engine.Ops.SsmOpSupport;

namespace Ssm.Engine.Ops;

public static partial class F
{
    /// <summary>Mamba-1 selective scan (<see cref="Kernels.Scan.SelectiveScan"/>) as a differentiable op.
    /// u, delta, z, y: (B, D, L); A: (D, N); B, C: (D, N) time-invariant, (B, N, L) or (B, G, N, L);
    /// D, deltaBias: (D); h0, lastState: (B, D, N). Both outputs are differentiable (unlike upstream,
    /// lastState carries a gradient). Forward and backward run <see cref="Kernels.Scan.SelectiveScan.Cpu"/>, or
    /// <see cref="Kernels.Scan.SelectiveScan.Gpu"/> on device views when the operands live on an ILGPU device.
    /// </summary>
    public static (Tensor Y, Tensor LastState) SelectiveScan(Tensor u, Tensor delta, Tensor A, Tensor B, Tensor C,
        Tensor? D = null, Tensor? z = null, Tensor? deltaBias = null, bool deltaSoftplus = false,
        Tensor? h0 = null, bool reverse = false)
    {
        const string op = "selective_scan";
        Rank(op, "u", u, 3, "(B, D, L)");
        Rank(op, "A", A, 2, "(D, N)");
        int b = u.Shape[0], d = u.Shape[1], l = u.Shape[2], n = A.Shape[1];
        Expect(op, "delta", delta, b, d, l);
        Expect(op, "A", A, d, n);
        var (varB, gB) = ScanOperand(op, "B", B, b, d, n, l);
        var (varC, gC) = ScanOperand(op, "C", C, b, d, n, l);
        if (varB && varC && gB != gC)
            throw new ArgumentException($"[{op}] B has {gB} groups but C has {gC}");
        Expect(op, "D", D, d);
        Expect(op, "z", z, b, d, l);
        Expect(op, "delta_bias", deltaBias, d);
        Expect(op, "h0", h0, b, d, n);
        var shape = new SelectiveScanShape(b, d, l, n, varB ? gB : varC ? gC : 1, varB, varC);
        var opts = new SelectiveScanOptions(deltaSoftplus, reverse, Par.MaxThreads);
        if (u.Device.IsGpu()) return DeviceOps.SelectiveScan(shape, opts, u, delta, A, B, C, D, z, deltaBias, h0);
        var x = new SelectiveScanInputs<float>
        {
            U = Need(u), Delta = Need(delta), A = Need(A), B = Need(B), C = Need(C),
            D = Floats(D), Z = Floats(z), DeltaBias = Floats(deltaBias), H0 = Floats(h0),
        };
        var y = new float[b * d * l];
        var last = new float[b * d * n];
        Kernels.Scan.SelectiveScan.Cpu.Forward(shape, opts, x, y, last);
        Tensor?[] inputs = [u, delta, A, B, C, D, z, deltaBias, h0];
        Func<float[]?, float[]?, Tensor?[]> backward = (dy, dLast) =>
        {
            var g = Kernels.Scan.SelectiveScan.Cpu.Backward(shape, opts, x, dy, dLast);
            return [Grad(u, g.U), Grad(delta, g.Delta), Grad(A, g.A), Grad(B, g.B), Grad(C, g.C),
                Grad(D, g.D), Grad(z, g.Z), Grad(deltaBias, g.DeltaBias), Grad(h0, g.H0)];
        };
        // The kernel backward is linear in (dy, dLast): each output records its own half, and the graph
        // sums them when both are used.
        var yt = Record(Tensor.FromArray(y, b, d, l), op, inputs, g => backward(Need(g), null));
        var lt = Record(Tensor.FromArray(last, b, d, n), op + "_last_state", inputs, g => backward(null, Need(g)));
        return (yt, lt);
    }

    /// <summary>Classifies a B/C operand: (D, N) time-invariant, (B, N, L) one group, (B, G, N, L).</summary>
    private static (bool Variable, int Groups) ScanOperand(string op, string name, Tensor t, int b, int d, int n,
        int l)
    {
        switch (t.Rank)
        {
            case 2: Expect(op, name, t, d, n); return (false, 1);
            case 3: Expect(op, name, t, b, n, l); return (true, 1);
            case 4:
                Expect(op, name, t, b, t.Shape[1], n, l);
                if (t.Shape[1] < 1 || d % t.Shape[1] != 0)
                    throw new ArgumentException($"[{op}] {name} groups G={t.Shape[1]} do not divide D={d}");
                return (true, t.Shape[1]);
            default:
                throw new ArgumentException(
                    $"[{op}] {name} has shape {ShapeUtil.Format(t.Shape)}; expected (D, N), (B, N, L) or (B, G, N, L)");
        }
    }
}
