// ILGPU chunked SSD forward (SsdAlgorithm.Chunked): the sequence is cut into chunks of Q tokens, and three
// implicitly grouped kernels replace the token-serial recurrence by work that is parallel over tokens:
//   1. chunk states, one thread per (b, h, c, p, n):
//        S_c[p, n] = Σ_{s ∈ c} exp(Σ_{s<k≤end(c)} dA_k)·s_s·x_s[p]·B_s[n]
//   2. state passing, one thread per (b, h, p, n):  H_c = exp(Σ_{k ∈ c} dA_k)·H_{c-1} + S_c,  H_{-1} = h0
//   3. outputs, one thread per (b, t, h, p):
//        y_t = Σ_{s ∈ c, s ≤ t} exp(Σ_{s<k≤t} dA_k)·(C_t·B_s)·s_s·x_s[p]
//              + exp(Σ_{start(c)≤k≤t} dA_k)·C_t·H_{c-1}[p, :] + D·x_t,  then the gate
// Decays are products of exp(dA ≤ 0) accumulated in log space from the later token backwards, so no factor
// exceeds 1. The backward is the recurrent one for both algorithms, as in Ssd.Cpu.
//   x, z, y: (B, L, H, P)   dA, scale: (B, L, H)   B, C: (B, L, G, N)   h0, final: (B, H, P, N)
//   chunk states S, H_{c-1}: (B, H, NC, P, N)
using ILGPU;
using ILGPU.Runtime;
using Ssm.Engine.Kernels.Common;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Ssd;

public static partial class Ssd
{
    public static partial class Gpu
    {
        /// <summary>Chunked forward on device: p's input offsets are set; fills o at p.Y and p.Final.</summary>
        private static void ChunkedForward(GpuDevice device, SsdShape s, int chunkSize, ArrayView<float> a,
            ArrayView<float> o, CoreParams p)
        {
            p.Q = Math.Max(1, Math.Min(chunkSize, s.L));
            p.NumChunks = (s.L + p.Q - 1) / p.Q;
            int states = s.B * s.H * p.NumChunks * s.P * s.N;
            using var scratch = device.Allocate(2L * states);
            p.ChunkStates = 0;
            p.Prev = states;
            ArrayView<float> w = scratch.View;
            device.GetOrLoad<Index1D, ArrayView<float>, ArrayView<float>, CoreParams>(ChunkStateKernel)(
                device.Stream, states, a, w, p);
            device.GetOrLoad<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, CoreParams>(
                StatePassKernel)(device.Stream, s.StateLength, a, w, o, p);
            device.GetOrLoad<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, CoreParams>(
                ChunkOutputKernel)(device.Stream, s.XLength, a, w, o, p);
            device.Synchronize();
        }

        // a: input pack, w: scratch (writes S at ChunkStates); one thread per i = (b, h, c, p, n).
        [GpuKernel]
        internal static void ChunkStateKernel(Index1D i, ArrayView<float> a, ArrayView<float> w, CoreParams p)
        {
            int n = i % p.N, pp = i / p.N % p.P, c = i / (p.N * p.P) % p.NumChunks, bh = i / (p.N * p.P * p.NumChunks);
            int b = bh / p.H, h = bh % p.H, t0 = c * p.Q, t1 = Math.Min(p.L, t0 + p.Q);
            float acc = 0f, logDecay = 0f;
            for (int t = t1 - 1; t >= t0; t--)
            {
                int it = Token(p, b, h, t, out int ibc);
                acc += MathF.Exp(logDecay) * Scale(a, p, it) * a[p.X + it * p.P + pp] * a[p.B + ibc + n];
                logDecay += a[p.DA + it];
            }
            w[p.ChunkStates + i] = acc;
        }

        // a: input pack, w: scratch (reads S, writes H_{c-1} at Prev), o: output pack (Final);
        // one thread per i = (b, h, p, n), the (B, H, P, N) index of the state element.
        [GpuKernel]
        internal static void StatePassKernel(Index1D i, ArrayView<float> a, ArrayView<float> w, ArrayView<float> o,
            CoreParams p)
        {
            int pn = p.P * p.N, bh = i / pn, rest = i % pn, b = bh / p.H, h = bh % p.H;
            float state = p.H0 >= 0 ? a[p.H0 + i] : 0f;
            for (int c = 0; c < p.NumChunks; c++)
            {
                int k = (bh * p.NumChunks + c) * pn + rest, t0 = c * p.Q, t1 = Math.Min(p.L, t0 + p.Q);
                w[p.Prev + k] = state;
                float logDecay = 0f;
                for (int t = t0; t < t1; t++) logDecay += a[p.DA + Token(p, b, h, t, out _)];
                state = MathF.Exp(logDecay) * state + w[p.ChunkStates + k];
            }
            o[p.Final + i] = state;
        }

        // a: input pack, w: scratch (reads H_{c-1}), o: output pack (Y); one thread per i = (b, t, h, p).
        [GpuKernel]
        internal static void ChunkOutputKernel(Index1D i, ArrayView<float> a, ArrayView<float> w,
            ArrayView<float> o, CoreParams p)
        {
            int pp = i % p.P, h = i / p.P % p.H, t = i / (p.P * p.H) % p.L, b = i / (p.P * p.H * p.L);
            int c = t / p.Q, t0 = c * p.Q, N = p.N;
            int it = Token(p, b, h, t, out int ibcT);
            float acc = 0f, logDecay = 0f;
            for (int s = t; s >= t0; s--)
            {
                int its = Token(p, b, h, s, out int ibcS);
                float cb = 0f;
                for (int n = 0; n < N; n++) cb += a[p.C + ibcT + n] * a[p.B + ibcS + n];
                acc += MathF.Exp(logDecay) * cb * Scale(a, p, its) * a[p.X + its * p.P + pp];
                logDecay += a[p.DA + its];
            }
            int prev = p.Prev + ((b * p.H + h) * p.NumChunks + c) * p.P * N + pp * N;
            float carry = 0f;
            for (int n = 0; n < N; n++) carry += a[p.C + ibcT + n] * w[prev + n];
            acc += MathF.Exp(logDecay) * carry;
            float xv = a[p.X + it * p.P + pp];
            if (p.D >= 0) acc += a[p.D + (p.DPerP != 0 ? h * p.P + pp : h)] * xv;
            if (p.Z >= 0) acc *= KernelMath.Silu(a[p.Z + it * p.P + pp]);
            o[p.Y + i] = acc;
        }
    }
}
