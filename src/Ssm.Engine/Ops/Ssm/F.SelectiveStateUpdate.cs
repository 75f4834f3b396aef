using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Scan;
using Ssm.Engine.Tensors;
using static Ssm.Engine.Ops.SsmOpSupport;

namespace Ssm.Engine.Ops;

public static partial class F
{
    /// <summary>One decode step of the selective state space (<see cref="Kernels.Scan.SelectiveStateUpdate"/>)
    /// as a differentiable op, in either form:
    /// Mamba-2: state (B, H, P, N), x, dt, z (B, H, P), A (H, P, N), B, C (B, G, N), D, dtBias (H, P);
    /// Mamba-1: state (B, D, N), x, dt, z (B, D), A (D, N), B, C (B, N), D, dtBias (D).
    /// Returns y (shaped like x) and the new state (shaped like state); both are differentiable.</summary>
    public static (Tensor Y, Tensor NewState) SelectiveStateUpdate(Tensor state, Tensor x, Tensor dt, Tensor A,
        Tensor B, Tensor C, Tensor? D = null, Tensor? z = null, Tensor? dtBias = null, bool dtSoftplus = false)
    {
        const string op = "selective_state_update";
        SelectiveStateUpdateShape s;
        if (state.Rank == 3)
        {
            int b = state.Shape[0], d = state.Shape[1], n = state.Shape[2];
            Expect(op, "x", x, b, d);
            Expect(op, "dt", dt, b, d);
            Expect(op, "A", A, d, n);
            Expect(op, "B", B, b, n);
            Expect(op, "C", C, b, n);
            Expect(op, "D", D, d);
            Expect(op, "z", z, b, d);
            Expect(op, "dt_bias", dtBias, d);
            s = SelectiveStateUpdateShape.Mamba1(b, d, n);
        }
        else if (state.Rank == 4)
        {
            int b = state.Shape[0], h = state.Shape[1], p = state.Shape[2], n = state.Shape[3];
            Rank(op, "B", B, 3, "(B, G, N)");
            int g = B.Shape[1];
            Expect(op, "x", x, b, h, p);
            Expect(op, "dt", dt, b, h, p);
            Expect(op, "A", A, h, p, n);
            Expect(op, "B", B, b, g, n);
            Expect(op, "C", C, b, g, n);
            Expect(op, "D", D, h, p);
            Expect(op, "z", z, b, h, p);
            Expect(op, "dt_bias", dtBias, h, p);
            if (g < 1 || h % g != 0) throw new ArgumentException($"[{op}] H={h} is not a multiple of G={g}");
            s = new SelectiveStateUpdateShape(b, h, p, n, g);
        }
        else
        {
            throw new ArgumentException(
                $"[{op}] state has shape {ShapeUtil.Format(state.Shape)}; expected (B, D, N) or (B, H, P, N)");
        }
        var opts = new SelectiveStateUpdateOptions(dtSoftplus, Par.MaxThreads);
        if (state.Device.IsGpu())
            return DeviceOps.SelectiveStateUpdate(s, opts, state, x, dt, A, B, C, D, z, dtBias);
        var inp = new SelectiveStateUpdateInputs<float>
        {
            State = Need(state), X = Need(x), Dt = Need(dt), A = Need(A), B = Need(B), C = Need(C),
            D = Floats(D), Z = Floats(z), DtBias = Floats(dtBias),
        };
        var y = new float[x.NumEl];
        var next = new float[state.NumEl];
        Kernels.Scan.SelectiveStateUpdate.Cpu.Step(s, opts, inp, y, next);
        Tensor?[] inputs = [state, x, dt, A, B, C, D, z, dtBias];
        Func<float[]?, float[]?, Tensor?[]> backward = (dy, dNext) =>
        {
            var g = Kernels.Scan.SelectiveStateUpdate.Cpu.Backward(s, opts, inp, dy, dNext);
            return [Grad(state, g.State), Grad(x, g.X), Grad(dt, g.Dt), Grad(A, g.A), Grad(B, g.B),
                Grad(C, g.C), Grad(D, g.D), Grad(z, g.Z), Grad(dtBias, g.DtBias)];
        };
        var yt = Record(Tensor.FromArray(y, x.Shape), op, inputs, g => backward(Need(g), null));
        var st = Record(Tensor.FromArray(next, state.Shape), op + "_state", inputs, g => backward(null, Need(g)));
        return (yt, st);
    }
}
