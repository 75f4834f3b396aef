using Ssm.Engine.Kernels.Gpu;
using Ssm.Engine.Kernels.Layout;
using Ssm.Engine.Kernels.Tests.Gpu;

namespace Ssm.Engine.Kernels.Tests.Layout;

[Collection(IlgpuCpuCollection.Name)]
public sealed class ViewCopyTests(IlgpuCpuDevices devices)
{
    /// <summary>A random permutation of a random shape of rank 1..6 (sizes 1..5), as strides of a contiguous
    /// source, written into a destination with a gap after every row.</summary>
    private static (ViewCopyLayout Layout, float[] Src, int DstLength) Case(Random rng)
    {
        int rank = rng.Next(1, ViewCopyLayout.MaxRank + 1);
        var shape = new int[rank];
        for (int k = 0; k < rank; k++) shape[k] = rng.Next(1, 6);
        var contiguous = new int[rank];
        for (int k = rank - 1, s = 1; k >= 0; s *= shape[k], k--) contiguous[k] = s;
        var perm = Enumerable.Range(0, rank).OrderBy(_ => rng.Next()).ToArray();
        var viewShape = perm.Select(p => shape[p]).ToArray();
        var srcStrides = perm.Select(p => contiguous[p]).ToArray();
        if (rng.Next(3) == 0) srcStrides[rng.Next(rank)] = 0; // an expanded (broadcast) dim
        int row = viewShape[^1] + 2, count = viewShape.Aggregate(1, (a, b) => a * b);
        var dstStrides = new int[rank];
        for (int k = rank - 1, s = row; k >= 0; k--)
        {
            dstStrides[k] = k == rank - 1 ? 1 : s;
            if (k < rank - 1) s *= viewShape[k];
        }
        var src = new float[count + 3];
        for (int i = 0; i < src.Length; i++) src[i] = (float)(rng.NextDouble() * 2 - 1);
        int dstLength = 1 + viewShape.Select((d, k) => (d - 1) * dstStrides[k]).Sum() + 1;
        return (new ViewCopyLayout(viewShape, srcStrides, 1, dstStrides, 1), src, dstLength);
    }

    [Theory]
    [MemberData(nameof(IlgpuCpuDevices.Kinds), MemberType = typeof(IlgpuCpuDevices))]
    public void Gpu_RandomPermutedViews_MatchesReference(GpuDeviceKind kind)
    {
        var rng = new Random(20261123);
        for (int trial = 0; trial < 12; trial++)
        {
            var (layout, src, dstLength) = Case(rng);
            var want = Enumerable.Repeat(-7f, dstLength).ToArray();
            var got = (float[])want.Clone();
            ViewCopy.Reference.Copy(layout, src, want);
            ViewCopy.Gpu.Copy(devices.Get(kind), layout, src, got);
            Assert.Equal(want, got);
            Assert.Equal(-7f, got[0]); // outside the layout: untouched
        }
    }

    [Fact]
    public void Reference_PermutedMatrix_IsTheTranspose()
    {
        // src (2, 3) row-major read as its transpose (3, 2)
        float[] src = [1, 2, 3, 4, 5, 6], dst = new float[6];
        ViewCopy.Reference.Copy(new ViewCopyLayout([3, 2], [1, 3], 0, [2, 1], 0), src, dst);
        Assert.Equal([1f, 4, 2, 5, 3, 6], dst);
    }

    [Fact]
    public void Validate_PositionsOutsideTheBuffers_Throw()
    {
        var l = new ViewCopyLayout([3, 4], [4, 1], 2, [4, 1], 0);
        var e = Assert.Throws<ArgumentException>(() => ViewCopy.Reference.Copy(l, new float[12], new float[12]));
        Assert.Contains("[view_copy] source", e.Message);
        Assert.Throws<ArgumentException>(() => new ViewCopyLayout(new int[7], new int[7], 0, new int[7], 0));
    }
}
