using FsCheck.Fluent;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Tests.Tensors;

/// <summary>Views share storage and index like their definitions; reshape of strided data copies.</summary>
public class ViewPropertiesTests
{
    private static Tensor Iota(int[] shape) => Tensor.Arange(ShapeUtil.NumEl(shape), DType.Float64).Reshape(shape);

    private static IEnumerable<int[]> Indices(int[] shape)
    {
        int n = ShapeUtil.NumEl(shape);
        var strides = ShapeUtil.ContiguousStrides(shape);
        for (int f = 0; f < n; f++)
            yield return shape.Select((s, d) => f / strides[d] % s).ToArray();
    }

    [Fact]
    public void Permute_IndexesByPermutation_AndSharesStorage()
    {
        TensorGen.ForAll(TensorGen.Shape(1, 4, 4).SelectMany(s => TensorGen.Permutation(s.Length), (s, p) => (s,
                p)), v =>
        {
            var x = Iota(v.s);
            var p = x.Permute(v.p);
            Assert.Same(x.Storage, p.Storage);
            foreach (var i in Indices(p.Shape))
            {
                var src = new int[x.Rank];
                for (int d = 0; d < x.Rank; d++) src[v.p[d]] = i[d];
                Assert.Equal(x[src], p[i]);
            }
            var last = Enumerable.Repeat(0, p.Rank).ToArray();
            p[last] = -5;
            Assert.Equal(-5, x[new int[x.Rank]]);
        }, seed: 11, count: 60);
    }

    [Fact]
    public void SliceNarrowFlip_IndexCorrectly_AndWritesAreVisible()
    {
        var gen = from shape in TensorGen.Shape(1, 3, 6)
                  from dim in Gen.Choose(0, shape.Length - 1)
                  from start in Gen.Choose(0, shape[dim] - 1)
                  from end in Gen.Choose(start + 1, shape[dim])
                  from step in Gen.Choose(1, 3)
                  select (shape, dim, start, end, step);
        TensorGen.ForAll(gen, v =>
        {
            var x = Iota(v.shape);
            var s = x.Slice(v.dim, v.start, v.end, v.step);
            var n = x.Narrow(v.dim, v.start, v.end - v.start);
            var f = x.Flip(v.dim);
            foreach (var i in Indices(s.Shape))
            {
                var j = (int[])i.Clone();
                j[v.dim] = v.start + i[v.dim] * v.step;
                Assert.Equal(x[j], s[i]);
            }
            foreach (var i in Indices(n.Shape))
            {
                var j = (int[])i.Clone();
                j[v.dim] = v.start + i[v.dim];
                Assert.Equal(x[j], n[i]);
            }
            foreach (var i in Indices(f.Shape))
            {
                var j = (int[])i.Clone();
                j[v.dim] = v.shape[v.dim] - 1 - i[v.dim];
                Assert.Equal(x[j], f[i]);
            }
            s.Fill(-1);
            var k = new int[x.Rank];
            k[v.dim] = v.start;
            Assert.Equal(-1, x[k]);
            Assert.Equal(-1, n[new int[x.Rank]]);
        }, seed: 12, count: 100);
    }

    [Fact]
    public void Reshape_OfNonContiguousView_CopiesLogicalOrder_ViewErrors()
    {
        TensorGen.ForAll(TensorGen.Shape(2, 4, 4).SelectMany(s => TensorGen.Permutation(s.Length), (s, p) => (s,
                p)), v =>
        {
            var x = Iota(v.s);
            var p = x.Permute(v.p);
            var r = p.Reshape(-1);
            var expected = Indices(p.Shape).Select(i => p[i]).ToArray();
            Assert.Equal(expected, r.ToDoubleArray());
            Assert.Equal(expected, p.Contiguous().ToDoubleArray());
            if (!p.IsContiguous)
            {
                Assert.NotSame(x.Storage, r.Storage);
                Assert.Throws<InvalidOperationException>(() => p.View(-1));
            }
            else Assert.Same(x.Storage, r.Storage);
        }, seed: 13, count: 60);
    }

    [Fact]
    public void Expand_ReadsTheSameElementAcrossBroadcastDims()
    {
        TensorGen.ForAll(TensorGen.BroadcastPair(3, 4), v =>
        {
            int[] shape = ShapeUtil.Broadcast("test", v.A, v.B);
            var x = Iota(v.A);
            var e = x.Expand(shape);
            Assert.Same(x.Storage, e.Storage);
            int lead = shape.Length - v.A.Length;
            foreach (var i in Indices(shape))
            {
                var j = v.A.Select((s, d) => s == 1 ? 0 : i[d + lead]).ToArray();
                Assert.Equal(x[j], e[i]);
            }
        }, seed: 14, count: 60);
    }
}
