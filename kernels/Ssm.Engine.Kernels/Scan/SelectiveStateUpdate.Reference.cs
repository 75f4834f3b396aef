// state, new_state: (B, H, P, N)   x, dt, z, y: (B, H, P)   A: (H, P, N)   B, C: (B, G, N)   D, dt_bias: (H, P)
using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Scan;

public static partial class SelectiveStateUpdate
{
    /// <summary>Plain float64 loops: the specification and test oracle.</summary>
    public static class Reference
    {
        /// <summary>One step: y and the new state (the input state is not modified).</summary>
        public static void Step(in SelectiveStateUpdateShape s, in SelectiveStateUpdateOptions o,
            SelectiveStateUpdateInputs<double> x, double[] y, double[] newState)
        {
            Validate(s, x, y.Length, newState.Length);
            int N = s.State;
            for (int b = 0; b < s.Batch; b++)
            for (int h = 0; h < s.Heads; h++)
            for (int p = 0; p < s.HeadDim; p++)
            {
                int hp = h * s.HeadDim + p, row = b * s.Heads * s.HeadDim + hp, bc = (b * s.Groups + s.GroupOf(h)) * N;
                double dt = Dt(o, x, row, hp, out _), xv = x.X[row], acc = 0;
                for (int n = 0; n < N; n++)
                {
                    double v = Math.Exp(dt * x.A[hp * N + n]) * x.State[row * N + n] + dt * x.B[bc + n] * xv;
                    newState[row * N + n] = v;
                    acc += v * x.C[bc + n];
                }
                if (x.D is not null) acc += x.D[hp] * xv;
                if (x.Z is not null) acc *= KernelMath.Silu(x.Z[row]);
                y[row] = acc;
            }
        }

        /// <summary>Gradients of S = Σ dy ⊙ y + Σ dNewState ⊙ new_state (either cotangent may be
        /// null = 0).</summary>
        public static SelectiveStateUpdateGrads<double> Backward(in SelectiveStateUpdateShape s,
            in SelectiveStateUpdateOptions o, SelectiveStateUpdateInputs<double> x, double[]? dy, double[]? dNewState)
        {
            Validate(s, x, dy?.Length ?? -1, dNewState?.Length ?? -1);
            var g = SelectiveStateUpdateGrads<double>.ZerosLike(x);
            int N = s.State;
            for (int b = 0; b < s.Batch; b++)
            for (int h = 0; h < s.Heads; h++)
            for (int p = 0; p < s.HeadDim; p++)
            {
                int hp = h * s.HeadDim + p, row = b * s.Heads * s.HeadDim + hp, bc = (b * s.Groups + s.GroupOf(h)) * N;
                double dt = Dt(o, x, row, hp, out double raw), xv = x.X[row], gy = dy is null ? 0 : dy[row];
                if (x.Z is not null)
                {
                    double yPre = x.D is null ? 0 : x.D[hp] * xv;
                    for (int n = 0; n < N; n++)
                        yPre += (Math.Exp(dt * x.A[hp * N + n]) * x.State[row * N + n] + dt * x.B[bc + n] * xv)
                                * x.C[bc + n];
                    g.Z![row] = gy * yPre * KernelMath.SiluGrad(x.Z[row]);
                    gy *= KernelMath.Silu(x.Z[row]);
                }
                double dx = 0, ddt = 0;
                if (x.D is not null)
                {
                    g.D![hp] += gy * xv;
                    dx += gy * x.D[hp];
                }
                for (int n = 0; n < N; n++)
                {
                    double a = x.A[hp * N + n], e = Math.Exp(dt * a), st = x.State[row * N + n], bv = x.B[bc + n];
                    double gs = (dNewState is null ? 0 : dNewState[row * N + n]) + gy * x.C[bc + n];
                    g.C[bc + n] += gy * (e * st + dt * bv * xv);
                    g.State[row * N + n] = gs * e;
                    g.B[bc + n] += gs * dt * xv;
                    g.A[hp * N + n] += gs * dt * e * st;
                    dx += gs * dt * bv;
                    ddt += gs * (a * e * st + bv * xv);
                }
                g.X[row] = dx;
                double draw = o.DtSoftplus ? ddt * KernelMath.SoftplusGrad(raw) : ddt;
                g.Dt[row] = draw;
                if (g.DtBias is not null) g.DtBias[hp] += draw;
            }
            return g;
        }

        private static double Dt(in SelectiveStateUpdateOptions o, SelectiveStateUpdateInputs<double> x, int row,
            int hp, out double raw)
        {
            raw = x.Dt[row] + (x.DtBias is null ? 0 : x.DtBias[hp]);
            return o.DtSoftplus ? KernelMath.Softplus(raw) : raw;
        }
    }
}
