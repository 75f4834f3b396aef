// u, delta, z, y: (B, D, L)   A: (D, N)   B, C: (D, N) or (B, G, N, L)   D, delta_bias: (D)
// h0, last_state: (B, D, N)
using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Scan;

public static partial class SelectiveScan
{
    /// <summary>Plain float64 loops: the specification and test oracle (forward and backward).</summary>
    public static class Reference
    {
        /// <summary>y = scan(x); writes the state after the last processed token into
        /// <paramref name="lastState"/> when it is not null.</summary>
        public static void Forward(in SelectiveScanShape s, in SelectiveScanOptions o, SelectiveScanInputs<double> x,
            double[] y, double[]? lastState)
        {
            Validate(s, x, y.Length, lastState?.Length ?? -1);
            var h = new double[s.State];
            for (int b = 0; b < s.Batch; b++)
            for (int d = 0; d < s.Dim; d++)
            {
                Row r = new(s, b, d);
                InitState(s, x, r, h);
                for (int step = 0; step < s.Length; step++)
                {
                    int t = o.Reverse ? s.Length - 1 - step : step;
                    double dt = Dt(s, o, x, r, t, out _), u = x.U[r.Seq + t], acc = 0;
                    for (int n = 0; n < s.State; n++)
                    {
                        h[n] = Math.Exp(dt * x.A[d * s.State + n]) * h[n]
                               + dt * BAt(s, x.B, r, n, t, s.VariableB) * u;
                        acc += h[n] * BAt(s, x.C, r, n, t, s.VariableC);
                    }
                    if (x.D is not null) acc += x.D[d] * u;
                    if (x.Z is not null) acc *= KernelMath.Silu(x.Z[r.Seq + t]);
                    y[r.Seq + t] = acc;
                }
                if (lastState is not null) h.CopyTo(lastState, r.State);
            }
        }

        /// <summary>Gradients of S = Σ dy ⊙ y + Σ dLastState ⊙ last_state (either cotangent may be
        /// null = 0).</summary>
        public static SelectiveScanGrads<double> Backward(in SelectiveScanShape s, in SelectiveScanOptions o,
            SelectiveScanInputs<double> x, double[]? dy, double[]? dLastState)
        {
            Validate(s, x, dy?.Length ?? s.Batch * s.Dim * s.Length, dLastState?.Length ?? -1);
            var g = SelectiveScanGrads<double>.ZerosLike(x);
            int N = s.State, L = s.Length;
            var hs = new double[(L + 1) * N];   // hs[k] = state after k processed steps (hs[0] = h0)
            var gh = new double[N];
            for (int b = 0; b < s.Batch; b++)
            for (int d = 0; d < s.Dim; d++)
            {
                Row r = new(s, b, d);
                InitState(s, x, r, hs.AsSpan(0, N));
                for (int step = 0; step < L; step++)
                {
                    int t = o.Reverse ? L - 1 - step : step;
                    double dt = Dt(s, o, x, r, t, out _), u = x.U[r.Seq + t];
                    for (int n = 0; n < N; n++)
                        hs[(step + 1) * N + n] = Math.Exp(dt * x.A[d * N + n]) * hs[step * N + n]
                                                 + dt * BAt(s, x.B, r, n, t, s.VariableB) * u;
                }
                for (int n = 0; n < N; n++) gh[n] = dLastState is null ? 0 : dLastState[r.State + n];
                for (int step = L - 1; step >= 0; step--)
                {
                    int t = o.Reverse ? L - 1 - step : step;
                    double dt = Dt(s, o, x, r, t, out double raw), u = x.U[r.Seq + t];
                    double gy = dy is null ? 0 : dy[r.Seq + t];
                    if (x.Z is not null)
                    {
                        double z = x.Z[r.Seq + t], yPre = x.D is null ? 0 : x.D[d] * u;
                        for (int n = 0; n < N; n++) yPre += hs[(step + 1) * N + n] * BAt(s, x.C, r, n, t, s.VariableC);
                        g.Z![r.Seq + t] = gy * yPre * KernelMath.SiluGrad(z);
                        gy *= KernelMath.Silu(z);
                    }
                    double du = 0, ddt = 0;
                    if (x.D is not null)
                    {
                        g.D![d] += gy * u;
                        du += gy * x.D[d];
                    }
                    for (int n = 0; n < N; n++)
                    {
                        double c = BAt(s, x.C, r, n, t, s.VariableC), bv = BAt(s, x.B, r, n, t, s.VariableB);
                        double a = x.A[d * N + n], dA = Math.Exp(dt * a), hPrev = hs[step * N + n];
                        g.C[CIndex(s, r, n, t, s.VariableC)] += gy * hs[(step + 1) * N + n];
                        double gn = gh[n] + gy * c;            // dS/dh after this step
                        g.B[CIndex(s, r, n, t, s.VariableB)] += gn * dt * u;
                        du += gn * dt * bv;
                        ddt += gn * (a * dA * hPrev + bv * u);
                        g.A[d * N + n] += gn * dt * dA * hPrev;
                        gh[n] = gn * dA;                        // dS/dh before this step
                    }
                    g.U[r.Seq + t] += du;
                    double draw = o.DeltaSoftplus ? ddt * KernelMath.SoftplusGrad(raw) : ddt;
                    g.Delta[r.Seq + t] = draw;
                    if (x.DeltaBias is not null) g.DeltaBias![d] += draw;
                }
                if (g.H0 is not null) Array.Copy(gh, 0, g.H0, r.State, N);
            }
            return g;
        }

        private static void InitState(in SelectiveScanShape s, SelectiveScanInputs<double> x, Row r, Span<double> h)
        {
            if (x.H0 is null) h.Clear();
            else x.H0.AsSpan(r.State, s.State).CopyTo(h);
        }

        private static double Dt(in SelectiveScanShape s, in SelectiveScanOptions o, SelectiveScanInputs<double> x,
            Row r, int t, out double raw)
        {
            raw = x.Delta[r.Seq + t] + (x.DeltaBias is null ? 0 : x.DeltaBias[r.D]);
            return o.DeltaSoftplus ? KernelMath.Softplus(raw) : raw;
        }

        private static double BAt(in SelectiveScanShape s, double[] m, Row r, int n, int t, bool variable) =>
            m[CIndex(s, r, n, t, variable)];

        private static int CIndex(in SelectiveScanShape s, Row r, int n, int t, bool variable) =>
            variable ? (r.Group * s.State + n) * s.Length + t : r.D * s.State + n;

        /// <summary>Offsets of row (b, d): Seq into (B, D, L), State into (B, D, N), Group into (B, G) pairs.</summary>
        private readonly struct Row(in SelectiveScanShape s, int b, int d)
        {
            public readonly int D = d;
            public readonly int Seq = (b * s.Dim + d) * s.Length;
            public readonly int State = (b * s.Dim + d) * s.State;
            public readonly int Group = b * s.Groups + s.GroupOf(d);
        }
    }
}
