// Per-thread scratch of the CPU SSD backward (see Ssd.Cpu.Backward.cs), reused across calls of the same shape.
using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Ssd;

public static partial class Ssd
{
    public static partial class Cpu
    {
        private sealed class BackwardScratch
        {
            public readonly Scratch W;
            public readonly AlignedFloats Gy, Du, Part, Sums, ANext, DB, DC, CDot, CDots;
            // The (Pp, N) state and the (TokenBlock, N) dC block of the (P, N) forward sweep (Ssd.Cpu.SweepPn.cs).
            public readonly AlignedFloats StateT, DcBlock;

            // Scratch of recent calls, reused for the same shape: DB and DC are (B, L, G, N) each, large-object
            // heap arrays that would otherwise be allocated and zeroed by the runtime on every backward.
            private static readonly System.Collections.Concurrent.ConcurrentBag<BackwardScratch> Pool = [];
            private readonly SsdShape _shape;
            private readonly int _pp;

            public static BackwardScratch Rent(SsdShape s, int pp)
            {
                while (Pool.TryTake(out var w))
                {
                    if (w._shape != s || w._pp != pp) continue;
                    w.DB.Clear();
                    w.DC.Clear();
                    return w;
                }
                return new BackwardScratch(s, pp);
            }

            public static void Return(BackwardScratch w)
            {
                if (Pool.Count < 2 * Environment.ProcessorCount) Pool.Add(w);
            }

            private BackwardScratch(SsdShape s, int pp)
            {
                _shape = s;
                _pp = pp;
                W = new Scratch(s.N, pp, TokenBlock);
                Gy = new AlignedFloats(TokenBlock * pp);
                Du = new AlignedFloats(TokenBlock * pp);
                Part = new AlignedFloats(TokenBlock * 4 * Lanes);   // per (token, row) partial vectors of the general tiles
                Sums = new AlignedFloats(TokenBlock * 4);
                CDots = new AlignedFloats(TokenBlock);
                ANext = new AlignedFloats(TokenBlock);
                DB = new AlignedFloats(s.BcLength);
                DC = new AlignedFloats(s.BcLength);
                CDot = new AlignedFloats(s.L);
                StateT = new AlignedFloats(pp * s.N);
                DcBlock = new AlignedFloats(TokenBlock * s.N);
            }
        }
    }
}
