// Backward of the Cpu selective scan. Per row (b, d): recompute the forward, keeping the L+1 states
// and the L decays exp(dt·A) in a per-worker buffer (2·L·Np floats), then run the reverse-time
// recurrence  g = gh + dy·C_t;  gh_prev = g ⊙ exp(dt·A).  Gradients shared between rows are
// accumulated race-free: per-(b, d) partials for A, D, delta_bias and time-invariant B/C (summed
// over b at the end), per-worker (B·G, L, Np) buffers for variable B/C (merged under a lock).
//   dy, u, delta, z: (B, D, L)   A: (D, N)   B, C: (D, N) or (B, G, N, L)   h0, dLastState: (B, D, N)
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Scan;

public static partial class SelectiveScan
{
    public static partial class Cpu
    {
        /// <summary>Gradients of S = Σ dy ⊙ y + Σ dLastState ⊙ last_state (either cotangent may be
        /// null = 0).</summary>
        public static SelectiveScanGrads<float> Backward(in SelectiveScanShape s, in SelectiveScanOptions o,
            SelectiveScanInputs<float> x, float[]? dy, float[]? dLastState)
        {
            Validate(s, x, dy?.Length ?? s.Batch * s.Dim * s.Length, dLastState?.Length ?? -1);
            var g = SelectiveScanGrads<float>.ZerosLike(x);
            var plan = new Plan(s, x, naturalA: true);
            int np = plan.Np, rows = s.Batch * s.Dim;
            var part = new Partials(rows, np, s);
            SelectiveScanShape sh = s;
            SelectiveScanOptions op = o;
            ForEachRowChunk(s, o, () => new Worker(sh, np), (lo, hi, wk) =>
            {
                for (int row = lo; row < hi; row++) RowBackward(sh, op, x, plan, row, dy, dLastState, g, part, wk);
            }, wk =>
            {
                if (wk.DB is not null) Add(part.VarB!, wk.DB);
                if (wk.DC is not null) Add(part.VarC!, wk.DC);
            });
            part.Finish(s, x, g);
            return g;
        }

        private static void Add(float[] into, float[] from)
        {
            for (int i = 0; i < into.Length; i++) into[i] += from[i];
        }

        private static void RowBackward(in SelectiveScanShape s, in SelectiveScanOptions o,
            SelectiveScanInputs<float> x, Plan p, int row, float[]? dy, float[]? dLast, SelectiveScanGrads<float> g,
            Partials part, Worker wk)
        {
            int b = row / s.Dim, d = row % s.Dim, L = s.Length, N = s.State, np = p.Np;
            int w = Vector<float>.Count, k = np / w, seq = row * L;
            Span<float> dts = wk.Dt.AsSpan(0, L), raw = wk.Raw.AsSpan(0, L), yPre = wk.YPre.AsSpan(0, L);
            ComputeDt(s, o, x, d, seq, dts, raw);
            Span<float> hs = wk.H.AsSpan(0, (L + 1) * np), decay = wk.Decay.AsSpan(0, L * np);
            hs[..np].Clear();
            if (x.H0 is not null) x.H0.AsSpan(row * N, N).CopyTo(hs);
            Span<Vector<float>> hv = MemoryMarshal.Cast<float, Vector<float>>(hs);
            Span<Vector<float>> ev = MemoryMarshal.Cast<float, Vector<float>>(decay);
            ReadOnlySpan<Vector<float>> av = MemoryMarshal.Cast<float, Vector<float>>(p.A.AsSpan(d * np, np));
            ref float bRef = ref p.B[p.BaseB(b, d)];
            ref float cRef = ref p.C[p.BaseC(b, d)];
            nint bStride = s.VariableB ? np : 0, cStride = s.VariableC ? np : 0;
            float[] u = x.U;
            float dskip = x.D is null ? 0f : x.D[d];
            bool rev = o.Reverse;
            // Forward recompute: hs[step+1] = decay[step] ⊙ hs[step] + dt·u·B_t (steps in processing order).
            for (int step = 0; step < L; step++)
            {
                int t = rev ? L - 1 - step : step;
                float dt = dts[t], ut = u[seq + t], du = dt * ut;
                nint bo = t * bStride, co = t * cStride;
                Vector<float> acc = Vector<float>.Zero;
                for (int j = 0; j < k; j++)
                {
                    Vector<float> e = KernelMath.Exp2(av[j] * (dt * KernelMath.Log2E));
                    ev[step * k + j] = e;
                    Vector<float> hj = Vector.FusedMultiplyAdd(e, hv[step * k + j], Load(ref bRef, bo + j * w) * du);
                    hv[(step + 1) * k + j] = hj;
                    acc = Vector.FusedMultiplyAdd(hj, Load(ref cRef, co + j * w), acc);
                }
                yPre[t] = Vector.Sum(acc) + dskip * ut;
            }
            // Reverse-time recurrence.
            Span<Vector<float>> gh = stackalloc Vector<float>[k];
            Span<Vector<float>> dA = MemoryMarshal.Cast<float, Vector<float>>(part.A.AsSpan(row * np, np));
            Span<float> ghf = MemoryMarshal.Cast<Vector<float>, float>(gh);
            ghf.Clear();
            if (dLast is not null) dLast.AsSpan(row * N, N).CopyTo(ghf);
            float[]? bInv = s.VariableB ? null : part.InvB, cInv = s.VariableC ? null : part.InvC;
            ref float dbRef = ref (s.VariableB ? ref wk.DB![p.BaseB(b, d)] : ref bInv![row * np]);
            ref float dcRef = ref (s.VariableC ? ref wk.DC![p.BaseC(b, d)] : ref cInv![row * np]);
            float dD = 0f, dBias = 0f;
            for (int step = L - 1; step >= 0; step--)
            {
                int t = rev ? L - 1 - step : step;
                float dt = dts[t], ut = u[seq + t], gy = dy is null ? 0f : dy[seq + t];
                if (x.Z is not null)
                {
                    float z = x.Z[seq + t];
                    g.Z![seq + t] = gy * yPre[t] * KernelMath.SiluGrad(z);
                    gy *= KernelMath.Silu(z);
                }
                nint bo = t * bStride, co = t * cStride;
                Vector<float> sB = Vector<float>.Zero, sA = Vector<float>.Zero;
                Vector<float> vgy = new(gy), vdu = new(dt * ut);
                for (int j = 0; j < k; j++)
                {
                    Vector<float> c = Load(ref cRef, co + j * w), bv = Load(ref bRef, bo + j * w);
                    Vector<float> e = ev[step * k + j], hPrev = hv[step * k + j];
                    Store(ref dcRef, co + j * w, Vector.FusedMultiplyAdd(vgy, hv[(step + 1) * k + j],
                        Load(ref dcRef, co + j * w)));
                    Vector<float> gn = Vector.FusedMultiplyAdd(vgy, c, gh[j]);
                    Store(ref dbRef, bo + j * w, Vector.FusedMultiplyAdd(gn, vdu, Load(ref dbRef, bo + j * w)));
                    sB = Vector.FusedMultiplyAdd(gn, bv, sB);
                    Vector<float> wv = gn * e * hPrev;
                    sA = Vector.FusedMultiplyAdd(wv, av[j], sA);
                    dA[j] = Vector.FusedMultiplyAdd(wv, new Vector<float>(dt), dA[j]);
                    gh[j] = gn * e;
                }
                float sumB = Vector.Sum(sB);
                g.U[seq + t] = gy * dskip + dt * sumB;
                dD += gy * ut;
                float ddt = Vector.Sum(sA) + ut * sumB;
                if (o.DeltaSoftplus) ddt *= KernelMath.SoftplusGrad(raw[t]);
                g.Delta[seq + t] = ddt;
                dBias += ddt;
            }
            part.D[row] = dD;
            part.Bias[row] = dBias;
            if (g.H0 is not null) ghf[..N].CopyTo(g.H0.AsSpan(row * N, N));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store(ref float r, nint offset, Vector<float> v) =>
            Unsafe.WriteUnaligned(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref r, offset)), v);

        /// <summary>Per-worker scratch: dt, raw dt, pre-gate y (L each), states ((L+1)·Np), decays (L·Np),
        /// and the worker's variable dB, dC accumulators in the packed (B·G, L, Np) layout.</summary>
        private sealed class Worker(in SelectiveScanShape s, int np)
        {
            public readonly float[] Dt = new float[s.Length], Raw = new float[s.Length], YPre = new float[s.Length];
            public readonly float[] H = new float[(s.Length + 1) * np], Decay = new float[s.Length * np];
            public readonly float[]? DB = s.VariableB ? new float[s.Batch * s.Groups * s.Length * np] : null;
            public readonly float[]? DC = s.VariableC ? new float[s.Batch * s.Groups * s.Length * np] : null;
        }

        /// <summary>Row-indexed partial gradients, reduced into the input-shaped gradients by
        /// <see cref="Finish"/>.</summary>
        private sealed class Partials(int rows, int np, in SelectiveScanShape s)
        {
            public readonly float[] A = new float[rows * np], D = new float[rows], Bias = new float[rows];
            public readonly float[]? InvB = s.VariableB ? null : new float[rows * np];
            public readonly float[]? InvC = s.VariableC ? null : new float[rows * np];
            public readonly float[]? VarB = s.VariableB ? new float[s.Batch * s.Groups * s.Length * np] : null;
            public readonly float[]? VarC = s.VariableC ? new float[s.Batch * s.Groups * s.Length * np] : null;

            public void Finish(in SelectiveScanShape s, SelectiveScanInputs<float> x, SelectiveScanGrads<float> g)
            {
                int N = s.State;
                for (int row = 0; row < rows; row++)
                {
                    int d = row % s.Dim;
                    for (int n = 0; n < N; n++)
                    {
                        g.A[d * N + n] += A[row * np + n];
                        if (InvB is not null) g.B[d * N + n] += InvB[row * np + n];
                        if (InvC is not null) g.C[d * N + n] += InvC[row * np + n];
                    }
                    if (g.D is not null) g.D[d] += D[row];
                    if (g.DeltaBias is not null) g.DeltaBias[d] += Bias[row];
                }
                if (VarB is not null) Unpack(s, VarB, g.B);
                if (VarC is not null) Unpack(s, VarC, g.C);
            }

            private void Unpack(in SelectiveScanShape s, float[] packed, float[] into)
            {
                int bg = s.Batch * s.Groups, N = s.State, L = s.Length;
                for (int i = 0; i < bg; i++)
                for (int n = 0; n < N; n++)
                for (int t = 0; t < L; t++)
                    into[(i * N + n) * L + t] = packed[(i * L + t) * np + n];
            }
        }
    }
}
