// The Np = 16 backward loops (RecomputePair / ReversePair) with the state row in one 512-bit register, as the
// forward's Scan16Avx512. Per-token dot products are folded from 16 to 8 lanes before they are stored, so the
// (L, 8) SB / SA layout and RowSums are shared with the 256-bit loops.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Scan;

public static partial class SelectiveScan
{
    public static partial class Cpu
    {
        /// <summary>Whether a row of padded width <paramref name="np"/> takes the 512-bit backward loops.</summary>
        private static bool WideBackward(int np) =>
            np == 16 && Vector512.IsHardwareAccelerated && System.Numerics.Vector<float>.Count == 8;

        /// <summary><see cref="RecomputePair"/> on one 512-bit register per state row.</summary>
        // Fully optimised from the first call: its tier-0 form would call the vector helpers out of line.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void RecomputeWide(int L, bool rev, ref float a, ref float bRef, nint bStride, ref float cRef,
            nint cStride, ref float dcRef, ReadOnlySpan<float> dts, ReadOnlySpan<float> u, ReadOnlySpan<float> gyv,
            ref float h, ref float e, ref float sB)
        {
            Vector512<float> a5 = Vector512.LoadUnsafe(ref a) * KernelMath.Log2E, h5 = Vector512.LoadUnsafe(ref h);
            ref float dt0 = ref MemoryMarshal.GetReference(dts);
            ref float u0 = ref MemoryMarshal.GetReference(u);
            ref float gy0 = ref MemoryMarshal.GetReference(gyv);
            for (int step = 0; step < L; step++)
            {
                nint t = rev ? L - 1 - step : step, hs0 = (nint)step * 16;
                float dt = Unsafe.Add(ref dt0, t), dtu = dt * Unsafe.Add(ref u0, t);
                Vector512<float> e5 = KernelMath.Exp2(a5 * dt);
                e5.StoreUnsafe(ref e, (nuint)hs0);
                h5 = Vector512.FusedMultiplyAdd(e5, h5, Ld5(ref bRef, t * bStride) * dtu);
                h5.StoreUnsafe(ref h, (nuint)(hs0 + 16));
                Fold(h5 * Ld5(ref cRef, t * cStride)).StoreUnsafe(ref sB, (nuint)(t * 8));
                nint co = t * cStride;
                Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref gy0, t)), h5, Ld5(ref dcRef, co))
                    .StoreUnsafe(ref dcRef, (nuint)co);
            }
        }

        /// <summary><see cref="ReversePair"/> on one 512-bit register per state row.</summary>
        // Fully optimised from the first call: its tier-0 form would call the vector helpers out of line.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void ReverseWide(int L, bool rev, ref float a, ref float bRef, nint bStride, ref float cRef,
            nint cStride, ref float dbRef, ReadOnlySpan<float> dts, ReadOnlySpan<float> u,
            ReadOnlySpan<float> gyv, ref float h, ref float e, ref float sB, ref float sA, ref float gh, ref float dA)
        {
            Vector512<float> a5 = Vector512.LoadUnsafe(ref a), g5 = Vector512.LoadUnsafe(ref gh);
            Vector512<float> dA5 = Vector512.LoadUnsafe(ref dA);
            ref float dt0 = ref MemoryMarshal.GetReference(dts);
            ref float u0 = ref MemoryMarshal.GetReference(u);
            ref float gy0 = ref MemoryMarshal.GetReference(gyv);
            for (int step = L - 1; step >= 0; step--)
            {
                nint t = rev ? L - 1 - step : step, hs0 = (nint)step * 16, bo = t * bStride;
                float dt = Unsafe.Add(ref dt0, t), du = dt * Unsafe.Add(ref u0, t);
                Vector512<float> n5 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref gy0, t)),
                    Ld5(ref cRef, t * cStride), g5);
                Vector512.FusedMultiplyAdd(n5, Vector512.Create(du), Ld5(ref dbRef, bo))
                    .StoreUnsafe(ref dbRef, (nuint)bo);
                Fold(n5 * Ld5(ref bRef, bo)).StoreUnsafe(ref sB, (nuint)(t * 8));
                g5 = n5 * Ld5(ref e, hs0);
                Vector512<float> w5 = g5 * Ld5(ref h, hs0);
                Fold(w5 * a5).StoreUnsafe(ref sA, (nuint)(t * 8));
                dA5 = Vector512.FusedMultiplyAdd(w5, Vector512.Create(dt), dA5);
            }
            g5.StoreUnsafe(ref gh);
            dA5.StoreUnsafe(ref dA);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Ld5(ref float r, nint offset) => Vector512.LoadUnsafe(ref r, (nuint)offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Fold(Vector512<float> v) => v.GetLower() + v.GetUpper();
    }
}
