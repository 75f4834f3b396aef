using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Testing;

/// <summary>FsCheck generators for small shapes, broadcast-compatible shape pairs and tensors, plus a
/// runner with a fixed replay seed so every property run is reproducible.</summary>
public static class TensorGen
{
    /// <summary>Shapes of rank <paramref name="minRank"/>..<paramref name="maxRank"/> with dims 1..<paramref
    /// name="maxDim"/>.</summary>
    public static Gen<int[]> Shape(int minRank = 1, int maxRank = 3, int maxDim = 4) =>
        from r in Gen.Choose(minRank, maxRank)
        from dims in Gen.ArrayOf(Gen.Choose(1, maxDim), r)
        select dims;

    /// <summary>A shape and a second shape that broadcasts against it: leading dims dropped and some
    /// dims set to 1 (on either side).</summary>
    public static Gen<(int[] A, int[] B)> BroadcastPair(int maxRank = 3, int maxDim = 4) =>
        from a in Shape(1, maxRank, maxDim)
        from drop in Gen.Choose(0, a.Length)
        from ones in Gen.ArrayOf(Gen.Choose(0, 2), a.Length)
        from swap in Gen.Elements(false, true)
        select Make(a, drop, ones, swap);

    private static (int[], int[]) Make(int[] a, int drop, int[] ones, bool swap)
    {
        var b = a[drop..].ToArray();
        var a2 = a.ToArray();
        for (int i = 0; i < b.Length; i++) if (ones[drop + i] == 0) b[i] = 1;
        for (int i = 0; i < a2.Length; i++) if (ones[i] == 1 && i >= drop && b[i - drop] != 1) a2[i] = 1;
        return swap ? (b, a2) : (a2, b);
    }

    /// <summary>A seed for tensor contents (contents come from <see cref="Tensor.Randn(int[], int,
    /// DType)"/>).</summary>
    public static Gen<int> Seed() => Gen.Choose(0, 1_000_000);

    /// <summary>A permutation of 0..rank-1.</summary>
    public static Gen<int[]> Permutation(int rank)
        => Gen.Shuffle(Enumerable.Range(0, rank).ToArray()).Select(p => p.ToArray());

    /// <summary>Runs <paramref name="body"/> on <paramref name="count"/> generated values from a fixed replay
    /// seed; the first failure throws with the falsifying value.</summary>
    public static void ForAll<T>(Gen<T> gen, Action<T> body, ulong seed, int count = 40)
    {
        var replay = new Replay(new Rnd(seed, 0x9E3779B97F4A7C15UL), FSharpOption<int>.None);
        var config = Config.QuickThrowOnFailure.WithMaxTest(count).WithReplay(FSharpOption<Replay>.Some(replay));
        Prop.ForAll(Arb.From(gen), (T value) => body(value)).Check(config);
    }
}
