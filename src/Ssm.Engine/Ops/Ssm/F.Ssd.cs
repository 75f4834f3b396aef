using Ssm.Engine.Devices;
using Ssm.Engine.Kernels.Ssd;
using Ssm.Engine.Tensors;
using static Ssm.Engine.Ops.SsmOpSupport;

namespace Ssm.Engine.Ops;

public static partial class F
{
    /// <summary>Mamba-2 SSD (<see cref="Kernels.Ssd.Ssd"/>, mamba_chunk_scan_combined semantics) as a
    /// differentiable op. x, z, y: (B, L, H, P); dt: (B, L, H) raw; A: (H); B, C: (B, L, G, N);
    /// D: (H) or (H, P); dtBias: (H); initialStates, finalStates: (B, H, P, N). dtLimit clamps the processed dt
    /// (default [0, ∞)). Both outputs are differentiable.</summary>
    public static (Tensor Y, Tensor FinalStates) Ssd(Tensor x, Tensor dt, Tensor A, Tensor B, Tensor C,
        Tensor? D = null, Tensor? z = null, Tensor? dtBias = null, bool dtSoftplus = false,
        (float Min, float Max)? dtLimit = null, Tensor? initialStates = null,
        SsdAlgorithm algorithm = SsdAlgorithm.Auto, int chunkSize = 256)
    {
        const string op = "ssd";
        Rank(op, "x", x, 4, "(B, L, H, P)");
        Rank(op, "B", B, 4, "(B, L, G, N)");
        int b = x.Shape[0], l = x.Shape[1], h = x.Shape[2], p = x.Shape[3], g = B.Shape[2], n = B.Shape[3];
        var s = new SsdShape(b, l, h, p, g, n);
        s.Validate(op);
        Expect(op, "dt", dt, b, l, h);
        Expect(op, "A", A, h);
        Expect(op, "B", B, b, l, g, n);
        Expect(op, "C", C, b, l, g, n);
        if (D is not null && D.Rank == 2) Expect(op, "D", D, h, p);
        else Expect(op, "D", D, h);
        Expect(op, "z", z, b, l, h, p);
        Expect(op, "dt_bias", dtBias, h);
        Expect(op, "initial_states", initialStates, b, h, p, n);
        if (chunkSize < 1) throw new ArgumentException($"[{op}] chunk size {chunkSize} must be positive");
        var (lo, hi) = dtLimit ?? (0f, float.PositiveInfinity);
        var opts = new SsdOptions
        {
            DtSoftplus = dtSoftplus, DtMin = lo, DtMax = hi, ChunkSize = chunkSize, Algorithm = algorithm,
        };
        if (x.Device.IsGpu()) return DeviceOps.Ssd(s, opts, x, dt, A, B, C, D, z, dtBias, initialStates);
        var inp = new SsdInputs<float>
        {
            X = Need(x), Dt = Need(dt), A = Need(A), B = Need(B), C = Need(C),
            D = Floats(D), Z = Floats(z), DtBias = Floats(dtBias), InitialStates = Floats(initialStates),
        };
        var y = new float[s.XLength];
        var final = new float[s.StateLength];
        Kernels.Ssd.Ssd.Cpu.Forward(s, opts, inp, y, final);
        Tensor?[] inputs = [x, dt, A, B, C, D, z, dtBias, initialStates];
        Func<float[], float[]?, Tensor?[]> backward = (dy, dFinal) =>
        {
            var gr = SsdGradients<float>.Allocate(inp);
            Kernels.Ssd.Ssd.Cpu.Backward(s, opts, inp, dy, dFinal, gr);
            return [Grad(x, gr.X), Grad(dt, gr.Dt), Grad(A, gr.A), Grad(B, gr.B), Grad(C, gr.C), Grad(D, gr.D),
                Grad(z, gr.Z), Grad(dtBias, gr.DtBias), Grad(initialStates, gr.InitialStates)];
        };
        var yt = Record(Tensor.FromArray(y, b, l, h, p), op, inputs, gy => backward(Need(gy), null));
        var ft = Record(Tensor.FromArray(final, b, h, p, n), op + "_final_states", inputs,
            gf => backward(new float[s.XLength], Need(gf)));
        return (yt, ft);
    }
}
