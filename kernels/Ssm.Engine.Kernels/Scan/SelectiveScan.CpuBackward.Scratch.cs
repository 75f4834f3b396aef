// Scratch of the Cpu selective-scan backward: per-worker buffers (reused across calls of one shape) and the
// row-indexed partial gradients reduced into the input-shaped gradients at the end of a call.
using System.Numerics;
using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Scan;

public static partial class SelectiveScan
{
    public static partial class Cpu
    {
        /// <summary>Per-worker scratch with a slot per row of a group: dt, raw dt, pre-gate y (L each), states
        /// ((L+1)·Np), decays (L·Np); and the worker's variable dB, dC accumulators in the packed (B·G, L, Np)
        /// layout.</summary>
        private sealed class Worker(in SelectiveScanShape s, int np)
        {
            // Workers of recent calls, reused when the shape matches (their buffers reach the large-object heap,
            // and allocating them per call made the backward's time depend on garbage collections).
            private static readonly System.Collections.Concurrent.ConcurrentBag<Worker> Pool = [];
            private readonly SelectiveScanShape _shape = s;
            private readonly int _np = np;

            public static Worker Rent(in SelectiveScanShape s, int np)
            {
                while (Pool.TryTake(out var w))
                {
                    if (w._shape != s || w._np != np) continue;
                    w.DB?.Clear();
                    w.DC?.Clear();
                    return w;
                }
                return new Worker(s, np);
            }

            public static void Return(Worker w)
            {
                if (Pool.Count < 2 * Environment.ProcessorCount) Pool.Add(w);
            }

            // Every per-row buffer has a slot per row of a group (RowsBackward4); single rows use slot 0.
            public readonly float[] Dt = new float[RowGroup * s.Length], Raw = new float[RowGroup * s.Length];
            public readonly float[] YPre = new float[RowGroup * s.Length];
            public readonly float[] Gy = new float[RowGroup * s.Length], Tmp = new float[RowGroup * s.Length];
            // 64-byte aligned: the wide loops store and reload one 512-bit vector per token in each.
            public readonly AlignedFloats SB = new(RowGroup * s.Length * Vector<float>.Count);
            public readonly AlignedFloats SA = new(RowGroup * s.Length * Vector<float>.Count);
            public readonly AlignedFloats H = new(RowGroup * (s.Length + 1) * np), Decay = new(RowGroup * s.Length * np);
            public readonly AlignedFloats? DB = s.VariableB ? new(s.Batch * s.Groups * s.Length * np) : null;
            public readonly AlignedFloats? DC = s.VariableC ? new(s.Batch * s.Groups * s.Length * np) : null;
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
