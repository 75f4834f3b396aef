// state, new_state: (B, H, P, N)   x, dt, z, y: (B, H, P)   A: (H, P, N)   B, C: (B, G, N)   D, dt_bias: (H, P)
// Rows (b, h, p) are independent in the forward step: Parallel.For over chunks of rows above a size
// threshold; the N lanes use Vector<float> with exp2 (A·dt·log2 e) and a scalar KernelMath tail.
// The backward runs the rows in order on one thread (dA, dD, dt_bias are shared across the batch and
// dB, dC across the heads of a group); a decode step's backward is tiny.
using System.Numerics;
using System.Runtime.CompilerServices;
using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Scan;

public static partial class SelectiveStateUpdate
{
    /// <summary>The fast CPU path; same contract as <see cref="Reference"/> in float32.</summary>
    public static class Cpu
    {
        /// <summary>One step: y and the new state (<paramref name="newState"/> may alias the input state).</summary>
        public static void Step(in SelectiveStateUpdateShape s, in SelectiveStateUpdateOptions o,
            SelectiveStateUpdateInputs<float> x, float[] y, float[] newState)
        {
            Validate(s, x, y.Length, newState.Length);
            int rows = s.Batch * s.Heads * s.HeadDim;
            int threads = o.Threads > 0 ? o.Threads : Environment.ProcessorCount;
            SelectiveStateUpdateShape sh = s;
            SelectiveStateUpdateOptions op = o;
            if (threads == 1 || (long)rows * s.State < 1 << 16)
            {
                for (int row = 0; row < rows; row++) RowStep(sh, op, x, row, y, newState);
                return;
            }
            int chunks = Math.Min(rows, threads * 4), per = (rows + chunks - 1) / chunks;
            chunks = (rows + per - 1) / per;
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, c =>
            {
                for (int row = c * per, end = Math.Min(rows, (c + 1) * per); row < end; row++)
                    RowStep(sh, op, x, row, y, newState);
            });
        }

        /// <summary>Gradients of S = Σ dy ⊙ y + Σ dNewState ⊙ new_state (either cotangent may be
        /// null = 0).</summary>
        public static SelectiveStateUpdateGrads<float> Backward(in SelectiveStateUpdateShape s,
            in SelectiveStateUpdateOptions o, SelectiveStateUpdateInputs<float> x, float[]? dy, float[]? dNewState)
        {
            Validate(s, x, dy?.Length ?? -1, dNewState?.Length ?? -1);
            var g = SelectiveStateUpdateGrads<float>.ZerosLike(x);
            int rows = s.Batch * s.Heads * s.HeadDim, N = s.State, w = Vector<float>.Count;
            var scratch = new float[N];
            for (int row = 0; row < rows; row++)
            {
                int hp = row % (s.Heads * s.HeadDim), b = row / (s.Heads * s.HeadDim);
                int bc = (b * s.Groups + s.GroupOf(hp / s.HeadDim)) * N, sn = row * N, an = hp * N;
                float dt = Dt(o, x, row, hp, out float raw), xv = x.X[row], gy = dy is null ? 0f : dy[row];
                float dtl = dt * KernelMath.Log2E, dtx = dt * xv;
                if (x.Z is not null)
                {
                    // Pre-gate y needs the new state: recompute it into scratch.
                    float yPre = x.D is null ? 0f : x.D[hp] * xv;
                    for (int n = 0; n < N; n++)
                    {
                        scratch[n] = KernelMath.Exp2(x.A[an + n] * dtl) * x.State[sn + n] + dtx * x.B[bc + n];
                        yPre += scratch[n] * x.C[bc + n];
                    }
                    g.Z![row] = gy * yPre * KernelMath.SiluGrad(x.Z[row]);
                    gy *= KernelMath.Silu(x.Z[row]);
                }
                float dx = 0f;
                if (x.D is not null)
                {
                    g.D![hp] += gy * xv;
                    dx = gy * x.D[hp];
                }
                Vector<float> sB = Vector<float>.Zero, sA = Vector<float>.Zero, vgy = new(gy), vdt = new(dt);
                Vector<float> vdtx = new(dtx), vdtl = new(dtl);
                int k = 0;
                for (; k + w <= N; k += w)
                {
                    Vector<float> a = new(x.A, an + k), st = new(x.State, sn + k), bv = new(x.B, bc + k);
                    Vector<float> e = KernelMath.Exp2(a * vdtl);
                    Vector<float> gs = Vector.FusedMultiplyAdd(vgy, new Vector<float>(x.C, bc + k),
                        dNewState is null ? Vector<float>.Zero : new Vector<float>(dNewState, sn + k));
                    Vector<float> stNew = Vector.FusedMultiplyAdd(e, st, vdtx * bv);
                    Vector.FusedMultiplyAdd(vgy, stNew, new Vector<float>(g.C, bc + k)).CopyTo(g.C, bc + k);
                    (gs * e).CopyTo(g.State, sn + k);
                    Vector.FusedMultiplyAdd(gs, vdtx, new Vector<float>(g.B, bc + k)).CopyTo(g.B, bc + k);
                    Vector<float> ws = gs * e * st;
                    Vector.FusedMultiplyAdd(ws, vdt, new Vector<float>(g.A, an + k)).CopyTo(g.A, an + k);
                    sB = Vector.FusedMultiplyAdd(gs, bv, sB);
                    sA = Vector.FusedMultiplyAdd(ws, a, sA);
                }
                float sumB = Vector.Sum(sB), sumA = Vector.Sum(sA);
                for (; k < N; k++)
                {
                    float a = x.A[an + k], st = x.State[sn + k], bv = x.B[bc + k], e = KernelMath.Exp2(a * dtl);
                    float gs = (dNewState is null ? 0f : dNewState[sn + k]) + gy * x.C[bc + k];
                    g.C[bc + k] += gy * (e * st + dtx * bv);
                    g.State[sn + k] = gs * e;
                    g.B[bc + k] += gs * dtx;
                    g.A[an + k] += gs * e * st * dt;
                    sumB += gs * bv;
                    sumA += gs * e * st * a;
                }
                g.X[row] = dx + dt * sumB;
                float ddt = sumA + xv * sumB;
                if (o.DtSoftplus) ddt *= KernelMath.SoftplusGrad(raw);
                g.Dt[row] = ddt;
                if (g.DtBias is not null) g.DtBias[hp] += ddt;
            }
            return g;
        }

        private static void RowStep(in SelectiveStateUpdateShape s, in SelectiveStateUpdateOptions o,
            SelectiveStateUpdateInputs<float> x, int row, float[] y, float[] newState)
        {
            int N = s.State, w = Vector<float>.Count, hp = row % (s.Heads * s.HeadDim), b = row / (s.Heads * s.HeadDim);
            int bc = (b * s.Groups + s.GroupOf(hp / s.HeadDim)) * N, sn = row * N, an = hp * N;
            float dt = Dt(o, x, row, hp, out _), xv = x.X[row], dtl = dt * KernelMath.Log2E, dtx = dt * xv;
            Vector<float> acc = Vector<float>.Zero, vdtl = new(dtl), vdtx = new(dtx);
            int k = 0;
            for (; k + w <= N; k += w)
            {
                Vector<float> e = KernelMath.Exp2(new Vector<float>(x.A, an + k) * vdtl);
                Vector<float> v = Vector.FusedMultiplyAdd(e, new Vector<float>(x.State, sn + k),
                    vdtx * new Vector<float>(x.B, bc + k));
                v.CopyTo(newState, sn + k);
                acc = Vector.FusedMultiplyAdd(v, new Vector<float>(x.C, bc + k), acc);
            }
            float sum = Vector.Sum(acc);
            for (; k < N; k++)
            {
                float v = KernelMath.Exp2(x.A[an + k] * dtl) * x.State[sn + k] + dtx * x.B[bc + k];
                newState[sn + k] = v;
                sum += v * x.C[bc + k];
            }
            if (x.D is not null) sum += x.D[hp] * xv;
            if (x.Z is not null) sum *= KernelMath.Silu(x.Z[row]);
            y[row] = sum;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float Dt(in SelectiveStateUpdateOptions o, SelectiveStateUpdateInputs<float> x, int row, int hp,
            out float raw)
        {
            raw = x.Dt[row] + (x.DtBias is null ? 0f : x.DtBias[hp]);
            return o.DtSoftplus ? KernelMath.Softplus(raw) : raw;
        }
    }
}
