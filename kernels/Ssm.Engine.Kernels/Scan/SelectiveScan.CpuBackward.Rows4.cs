// The 512-bit backward (N ≤ 16) for four rows d..d+3 of one batch and group at a time. The rows share B_t, C_t and
// the dB_t, dC_t accumulators, so per token these are loaded and updated once for four rows instead of once per
// row; the per-row states and decays go to the worker interleaved by token ((L+1, 4, 16) and (L, 4, 16)), so one
// token's data of the four rows is four consecutive cache lines. The backward is bound by this traffic between L1
// and L2 (about 0.9 KB per row and token for one row at a time), not by arithmetic. Same recurrences as
// RecomputeWide / ReverseWide.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Scan;

public static partial class SelectiveScan
{
    public static partial class Cpu
    {
        // Rows per group of the grouped backward.
        private const int RowGroup = 4;

        /// <summary>Whether rows row..row+3 take <see cref="RowsBackward4"/>: the 512-bit loops, B and C both
        /// per token (what the rows share), and the four rows in one batch and group.</summary>
        private static bool GroupedBackward(in SelectiveScanShape s, int np, int row)
        {
            int d = row % s.Dim;
            return WideBackward(np) && s.VariableB && s.VariableC && d + RowGroup <= s.Dim
                   && s.GroupOf(d) == s.GroupOf(d + RowGroup - 1);
        }

        private static void RowsBackward4(in SelectiveScanShape s, in SelectiveScanOptions o,
            SelectiveScanInputs<float> x, Plan p, int row0, float[]? dy, float[]? dLast, SelectiveScanGrads<float> g,
            Partials part, Worker wk)
        {
            const int np = 16;
            int b = row0 / s.Dim, d0 = row0 % s.Dim, L = s.Length, N = s.State;
            for (int r = 0; r < RowGroup; r++) RowPrologue(s, o, x, row0 + r, dy, g, wk, r);
            Span<float> h0 = wk.H.AsSpan(0, RowGroup * np);
            h0.Clear();
            if (x.H0 is not null)
                for (int r = 0; r < RowGroup; r++) x.H0.AsSpan((row0 + r) * N, N).CopyTo(h0[(r * np)..]);
            ref float bRef = ref p.B[p.BaseB(b, d0)], cRef = ref p.C[p.BaseC(b, d0)];
            ref float u = ref x.U[row0 * L];
            Recompute4(L, o.Reverse, ref p.A[d0 * np], ref bRef, ref cRef, ref wk.DC![p.BaseC(b, d0)], ref wk.Dt[0],
                ref u, ref wk.Gy[0], ref wk.H.Ref, ref wk.Decay.Ref, ref wk.SB.Ref);
            for (int r = 0; r < RowGroup; r++) RowOutput(s, x, row0 + r, g, wk, r);
            Span<float> gh = stackalloc float[RowGroup * np];
            gh.Clear();
            if (dLast is not null)
                for (int r = 0; r < RowGroup; r++) dLast.AsSpan((row0 + r) * N, N).CopyTo(gh[(r * np)..]);
            Reverse4(L, o.Reverse, ref p.A[d0 * np], ref bRef, ref cRef, ref wk.DB![p.BaseB(b, d0)], ref wk.Dt[0],
                ref u, ref wk.Gy[0], ref wk.H.Ref, ref wk.Decay.Ref, ref wk.SB.Ref, ref wk.SA.Ref,
                ref MemoryMarshal.GetReference(gh), ref part.A[row0 * np]);
            for (int r = 0; r < RowGroup; r++)
            {
                RowGradients(s, o, x, row0 + r, g, part, wk, r);
                if (g.H0 is not null) gh.Slice(r * np, N).CopyTo(g.H0.AsSpan((row0 + r) * N, N));
            }
        }

        /// <summary><see cref="RecomputeWide"/> for four rows: A (natural, 4 × 16) and the states in registers;
        /// dt, u, gy rows at a stride of L; per-token partial sums of row r at SB + r·L·8.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Recompute4(int L, bool rev, ref float a, ref float bRef, ref float cRef, ref float dcRef,
            ref float dt, ref float u, ref float gy, ref float h, ref float e, ref float sB)
        {
            Vector512<float> a0 = Ld5(ref a, 0) * KernelMath.Log2E, a1 = Ld5(ref a, 16) * KernelMath.Log2E;
            Vector512<float> a2 = Ld5(ref a, 32) * KernelMath.Log2E, a3 = Ld5(ref a, 48) * KernelMath.Log2E;
            Vector512<float> h0 = Ld5(ref h, 0), h1 = Ld5(ref h, 16), h2 = Ld5(ref h, 32), h3 = Ld5(ref h, 48);
            nint rl = L, sl = (nint)L * 8;
            for (int step = 0; step < L; step++)
            {
                nint t = rev ? L - 1 - step : step, hs = (nint)step * 64, bo = t * 16, so = t * 8;
                Vector512<float> bt = Ld5(ref bRef, bo), ct = Ld5(ref cRef, bo);
                float dt0 = Unsafe.Add(ref dt, t), dt1 = Unsafe.Add(ref dt, rl + t);
                float dt2 = Unsafe.Add(ref dt, 2 * rl + t), dt3 = Unsafe.Add(ref dt, 3 * rl + t);
                Vector512<float> e0 = KernelMath.Exp2(a0 * dt0), e1 = KernelMath.Exp2(a1 * dt1);
                Vector512<float> e2 = KernelMath.Exp2(a2 * dt2), e3 = KernelMath.Exp2(a3 * dt3);
                e0.StoreUnsafe(ref e, (nuint)hs);
                e1.StoreUnsafe(ref e, (nuint)(hs + 16));
                e2.StoreUnsafe(ref e, (nuint)(hs + 32));
                e3.StoreUnsafe(ref e, (nuint)(hs + 48));
                h0 = Vector512.FusedMultiplyAdd(e0, h0, bt * (dt0 * Unsafe.Add(ref u, t)));
                h1 = Vector512.FusedMultiplyAdd(e1, h1, bt * (dt1 * Unsafe.Add(ref u, rl + t)));
                h2 = Vector512.FusedMultiplyAdd(e2, h2, bt * (dt2 * Unsafe.Add(ref u, 2 * rl + t)));
                h3 = Vector512.FusedMultiplyAdd(e3, h3, bt * (dt3 * Unsafe.Add(ref u, 3 * rl + t)));
                h0.StoreUnsafe(ref h, (nuint)(hs + 64));
                h1.StoreUnsafe(ref h, (nuint)(hs + 80));
                h2.StoreUnsafe(ref h, (nuint)(hs + 96));
                h3.StoreUnsafe(ref h, (nuint)(hs + 112));
                Fold(h0 * ct).StoreUnsafe(ref sB, (nuint)so);
                Fold(h1 * ct).StoreUnsafe(ref sB, (nuint)(sl + so));
                Fold(h2 * ct).StoreUnsafe(ref sB, (nuint)(2 * sl + so));
                Fold(h3 * ct).StoreUnsafe(ref sB, (nuint)(3 * sl + so));
                Vector512<float> dc = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref gy, t)), h0,
                    Ld5(ref dcRef, bo));
                dc = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref gy, rl + t)), h1, dc);
                dc = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref gy, 2 * rl + t)), h2, dc);
                Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref gy, 3 * rl + t)), h3, dc)
                    .StoreUnsafe(ref dcRef, (nuint)bo);
            }
        }

        /// <summary><see cref="ReverseWide"/> for four rows: A, the state cotangents gh and dA (4 × 16 each) in
        /// registers; layouts as <see cref="Recompute4"/>, Σ g·e·h·A of row r at SA + r·L·8.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Reverse4(int L, bool rev, ref float a, ref float bRef, ref float cRef, ref float dbRef,
            ref float dt, ref float u, ref float gy, ref float h, ref float e, ref float sB, ref float sA,
            ref float gh, ref float dA)
        {
            Vector512<float> a0 = Ld5(ref a, 0), a1 = Ld5(ref a, 16), a2 = Ld5(ref a, 32), a3 = Ld5(ref a, 48);
            Vector512<float> g0 = Ld5(ref gh, 0), g1 = Ld5(ref gh, 16), g2 = Ld5(ref gh, 32), g3 = Ld5(ref gh, 48);
            Vector512<float> dA0 = Ld5(ref dA, 0), dA1 = Ld5(ref dA, 16), dA2 = Ld5(ref dA, 32);
            Vector512<float> dA3 = Ld5(ref dA, 48);
            nint rl = L, sl = (nint)L * 8;
            for (int step = L - 1; step >= 0; step--)
            {
                nint t = rev ? L - 1 - step : step, hs = (nint)step * 64, bo = t * 16, so = t * 8;
                Vector512<float> bt = Ld5(ref bRef, bo), ct = Ld5(ref cRef, bo);
                float dt0 = Unsafe.Add(ref dt, t), dt1 = Unsafe.Add(ref dt, rl + t);
                float dt2 = Unsafe.Add(ref dt, 2 * rl + t), dt3 = Unsafe.Add(ref dt, 3 * rl + t);
                Vector512<float> n0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref gy, t)), ct, g0);
                Vector512<float> n1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref gy, rl + t)), ct, g1);
                Vector512<float> n2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref gy, 2 * rl + t)), ct,
                    g2);
                Vector512<float> n3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref gy, 3 * rl + t)), ct,
                    g3);
                Vector512<float> db = Vector512.FusedMultiplyAdd(n0, Vector512.Create(dt0 * Unsafe.Add(ref u, t)),
                    Ld5(ref dbRef, bo));
                db = Vector512.FusedMultiplyAdd(n1, Vector512.Create(dt1 * Unsafe.Add(ref u, rl + t)), db);
                db = Vector512.FusedMultiplyAdd(n2, Vector512.Create(dt2 * Unsafe.Add(ref u, 2 * rl + t)), db);
                Vector512.FusedMultiplyAdd(n3, Vector512.Create(dt3 * Unsafe.Add(ref u, 3 * rl + t)), db)
                    .StoreUnsafe(ref dbRef, (nuint)bo);
                Fold(n0 * bt).StoreUnsafe(ref sB, (nuint)so);
                Fold(n1 * bt).StoreUnsafe(ref sB, (nuint)(sl + so));
                Fold(n2 * bt).StoreUnsafe(ref sB, (nuint)(2 * sl + so));
                Fold(n3 * bt).StoreUnsafe(ref sB, (nuint)(3 * sl + so));
                g0 = n0 * Ld5(ref e, hs);
                g1 = n1 * Ld5(ref e, hs + 16);
                g2 = n2 * Ld5(ref e, hs + 32);
                g3 = n3 * Ld5(ref e, hs + 48);
                Vector512<float> w0 = g0 * Ld5(ref h, hs), w1 = g1 * Ld5(ref h, hs + 16);
                Vector512<float> w2 = g2 * Ld5(ref h, hs + 32), w3 = g3 * Ld5(ref h, hs + 48);
                Fold(w0 * a0).StoreUnsafe(ref sA, (nuint)so);
                Fold(w1 * a1).StoreUnsafe(ref sA, (nuint)(sl + so));
                Fold(w2 * a2).StoreUnsafe(ref sA, (nuint)(2 * sl + so));
                Fold(w3 * a3).StoreUnsafe(ref sA, (nuint)(3 * sl + so));
                dA0 = Vector512.FusedMultiplyAdd(w0, Vector512.Create(dt0), dA0);
                dA1 = Vector512.FusedMultiplyAdd(w1, Vector512.Create(dt1), dA1);
                dA2 = Vector512.FusedMultiplyAdd(w2, Vector512.Create(dt2), dA2);
                dA3 = Vector512.FusedMultiplyAdd(w3, Vector512.Create(dt3), dA3);
            }
            g0.StoreUnsafe(ref gh, 0);
            g1.StoreUnsafe(ref gh, 16);
            g2.StoreUnsafe(ref gh, 32);
            g3.StoreUnsafe(ref gh, 48);
            dA0.StoreUnsafe(ref dA, 0);
            dA1.StoreUnsafe(ref dA, 16);
            dA2.StoreUnsafe(ref dA, 32);
            dA3.StoreUnsafe(ref dA, 48);
        }
    }
}
