// The fused SSM ops on ILGPU devices: causal conv1d, selective scan, decode state update and SSD forward through
// the kernels' device-view entry points. The causal conv1d and the selective scan are differentiable (their
// backward runs the kernels' device backward); the decode update and SSD are inference only.
using ILGPU;
using Ssm.Engine.Kernels.Conv1d;
using Ssm.Engine.Kernels.Scan;
using Ssm.Engine.Kernels.Ssd;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Ops;

internal static partial class DeviceOps
{
    /// <summary>x (B, D, L), weight (D, K), bias (D), initial states (B, D, K-1) → y (B, D, L) and final states
    /// (B, D, K-1). Both outputs are differentiable; each records its half of the (linear) kernel backward.
    /// </summary>
    public static (Tensor Y, Tensor Final) CausalConv1d(Tensor x, Tensor weight, Tensor? bias, Tensor? initial,
        CausalConv1dShape s, CausalConv1dOptions o)
    {
        const string op = "causal_conv1d";
        var gpu = SharedDevice(op, x, weight, bias, initial);
        var y = Tensor.ZerosOn(x.Device, [s.Batch, s.Channels, s.Length]);
        var final = Tensor.ZerosOn(x.Device, [s.Batch, s.Channels, s.Width - 1]);
        using (var v = new Operands(op, gpu))
        {
            Kernels.Conv1d.CausalConv1d.Gpu.Forward(gpu, s, v.View(x), v.View(weight), v.View(bias),
                v.View(initial), y.DeviceView(op), s.Width > 1 ? final.DeviceView(op) : ArrayView<float>.Empty, o);
            gpu.Synchronize();
        }
        Tensor?[] inputs = [x, weight, bias, initial];
        Func<Tensor, Tensor?, Tensor?[]> backward = (dy, dFinal) =>
        {
            Tensor? Grad(Tensor? t) => t is { RequiresGrad: true } ? Tensor.ZerosOn(t.Device, t.Shape.ToArray()) : null;
            // dx and dweight are always computed by the kernel: scratch ones are freed when not wanted.
            Tensor? dx = Tensor.ZerosOn(x.Device, x.Shape.ToArray());
            Tensor? dw = Tensor.ZerosOn(x.Device, weight.Shape.ToArray());
            Tensor? db = Grad(bias), dh = Grad(initial);
            using (var v = new Operands(op, gpu))
                Kernels.Conv1d.CausalConv1d.Gpu.Backward(gpu, s, v.View(x), v.View(weight), v.View(bias),
                    v.View(initial), v.View(dy), v.View(dFinal), v.View(dx), v.View(dw), v.View(db), v.View(dh), o);
            if (!x.RequiresGrad) { dx.Dispose(); dx = null; }
            if (!weight.RequiresGrad) { dw.Dispose(); dw = null; }
            return [dx, dw, db, dh];
        };
        var yt = SsmOpSupport.Record(y, op, inputs, g => backward(g, null));
        var ft = SsmOpSupport.Record(final, op + "_final_states", inputs,
            g => backward(Tensor.ZerosOn(x.Device, y.Shape.ToArray()), g));
        return (yt, ft);
    }

    /// <summary>Selective scan forward: y (B, D, L) and the last state (B, D, N). Both outputs are differentiable
    /// through <c>SelectiveScan.Gpu.Backward</c> on device views.</summary>
    public static (Tensor Y, Tensor Last) SelectiveScan(SelectiveScanShape s, SelectiveScanOptions o, Tensor u,
        Tensor delta, Tensor A, Tensor B, Tensor C, Tensor? D, Tensor? z, Tensor? deltaBias, Tensor? h0)
    {
        const string op = "selective_scan";
        var gpu = SharedDevice(op, u, delta, A, B, C, D, z, deltaBias, h0);
        var y = Tensor.ZerosOn(u.Device, [s.Batch, s.Dim, s.Length]);
        var last = Tensor.ZerosOn(u.Device, [s.Batch, s.Dim, s.State]);
        using (var v = new Operands(op, gpu))
            Kernels.Scan.SelectiveScan.Gpu.Forward(gpu, s, o, ScanViews(v, u, delta, A, B, C, D, z, deltaBias, h0),
                y.DeviceView(op), last.DeviceView(op));
        Tensor?[] inputs = [u, delta, A, B, C, D, z, deltaBias, h0];
        Func<Tensor?, Tensor?, Tensor?[]> backward = (dy, dLast) =>
        {
            var g = inputs.Select(t => t is { RequiresGrad: true } ? Tensor.ZerosOn(t.Device, t.Shape.ToArray()) : null)
                .ToArray();
            using var v = new Operands(op, gpu);
            var grads = new SelectiveScanViews
            {
                U = v.View(g[0]), Delta = v.View(g[1]), A = v.View(g[2]), B = v.View(g[3]), C = v.View(g[4]),
                D = v.View(g[5]), Z = v.View(g[6]), DeltaBias = v.View(g[7]), H0 = v.View(g[8]),
            };
            Kernels.Scan.SelectiveScan.Gpu.Backward(gpu, s, o, ScanViews(v, u, delta, A, B, C, D, z, deltaBias, h0),
                v.View(dy), v.View(dLast), grads);
            return g;
        };
        var yt = SsmOpSupport.Record(y, op, inputs, g => backward(g, null));
        var lt = SsmOpSupport.Record(last, op + "_last_state", inputs, g => backward(null, g));
        return (yt, lt);
    }

    private static SelectiveScanViews ScanViews(Operands v, Tensor u, Tensor delta, Tensor A, Tensor B, Tensor C,
        Tensor? D, Tensor? z, Tensor? deltaBias, Tensor? h0) => new()
    {
        U = v.View(u), Delta = v.View(delta), A = v.View(A), B = v.View(B), C = v.View(C), D = v.View(D),
        Z = v.View(z), DeltaBias = v.View(deltaBias), H0 = v.View(h0),
    };

    /// <summary>One decode step: y shaped like x, the new state shaped like state.</summary>
    public static (Tensor Y, Tensor State) SelectiveStateUpdate(SelectiveStateUpdateShape s,
        SelectiveStateUpdateOptions o, Tensor state, Tensor x, Tensor dt, Tensor A, Tensor B, Tensor C, Tensor? D,
        Tensor? z, Tensor? dtBias)
    {
        const string op = "selective_state_update";
        var gpu = Prepare(op, state, x, dt, A, B, C, D, z, dtBias);
        var y = Tensor.ZerosOn(x.Device, x.Shape.ToArray());
        var next = Tensor.ZerosOn(x.Device, state.Shape.ToArray());
        using var v = new Operands(op, gpu);
        var views = new SelectiveStateUpdateViews
        {
            State = v.View(state), X = v.View(x), Dt = v.View(dt), A = v.View(A), B = v.View(B), C = v.View(C),
            D = v.View(D), Z = v.View(z), DtBias = v.View(dtBias),
        };
        Kernels.Scan.SelectiveStateUpdate.Gpu.Step(gpu, s, o, views, y.DeviceView(op), next.DeviceView(op));
        return (y, next);
    }

    /// <summary>SSD forward: y (B, L, H, P) and the final states (B, H, P, N).</summary>
    public static (Tensor Y, Tensor Final) Ssd(SsdShape s, SsdOptions o, Tensor x, Tensor dt, Tensor A, Tensor B,
        Tensor C, Tensor? D, Tensor? z, Tensor? dtBias, Tensor? initialStates)
    {
        const string op = "ssd";
        var gpu = Prepare(op, x, dt, A, B, C, D, z, dtBias, initialStates);
        var y = Tensor.ZerosOn(x.Device, [s.B, s.L, s.H, s.P]);
        var final = Tensor.ZerosOn(x.Device, [s.B, s.H, s.P, s.N]);
        using var v = new Operands(op, gpu);
        var views = new SsdViews
        {
            X = v.View(x), Dt = v.View(dt), A = v.View(A), B = v.View(B), C = v.View(C), D = v.View(D),
            Z = v.View(z), DtBias = v.View(dtBias), InitialStates = v.View(initialStates),
        };
        Kernels.Ssd.Ssd.Gpu.Forward(gpu, s, o, views, y.DeviceView(op), final.DeviceView(op));
        return (y, final);
    }
}
