// Per-thread scratch of the CPU SSD backward (see Ssd.Cpu.Backward.cs), reused across calls of the same shape.
namespace Ssm.Engine.Kernels.Ssd;

public static partial class Ssd
{
    public static partial class Cpu
    {
        private sealed class BackwardScratch
        {
            public readonly Scratch W;
            public readonly float[] Gy, Du, Part, Sums, ANext, DB, DC, CDot, CDots;

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
                    Array.Clear(w.DB);
                    Array.Clear(w.DC);
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
                Gy = new float[TokenBlock * pp];
                Du = new float[TokenBlock * pp];
                Part = new float[TokenBlock * 4 * Math.Max(Lanes, HeadP / 4)];   // 8-lane or whole-head partials
                Sums = new float[TokenBlock * 4];
                CDots = new float[TokenBlock];
                ANext = new float[TokenBlock];
                DB = new float[s.BcLength];
                DC = new float[s.BcLength];
                CDot = new float[s.L];
            }
        }
    }
}
