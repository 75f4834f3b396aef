using Ssm.Engine.Kernels.Common;

namespace Ssm.Engine.Kernels.Tests.Common;

public class AlignedFloatsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(100_000)]
    public unsafe void StartsOn64ByteBoundary_ZeroedAndOfTheAskedLength(int length)
    {
        // Several buffers in a row: managed arrays start at varying offsets within a cache line.
        for (int k = 0; k < 8; k++)
        {
            var a = new AlignedFloats(length);
            Assert.Equal(length, a.Length);
            Assert.Equal(length, a.Span.Length);
            Assert.All(a.Span.ToArray(), v => Assert.Equal(0f, v));
            if (length == 0) continue;
            fixed (float* p = a) Assert.Equal(0u, (nuint)p % 64);
            fixed (float* p = &a.Ref) Assert.Equal(0u, (nuint)p % 64);
        }
    }

    [Fact]
    public void IndexerAndSlicesAddressTheSameElements()
    {
        var a = new AlignedFloats(40);
        a[3] = 5f;
        a.AsSpan(10, 4).Fill(2f);
        a.AsSpan(38)[1] = 7f;
        Assert.Equal(5f, a.Span[3]);
        Assert.Equal(new[] { 2f, 2f, 2f, 2f }, a.Span.Slice(10, 4).ToArray());
        Assert.Equal(7f, a[39]);
        a.Clear();
        Assert.All(a.Span.ToArray(), v => Assert.Equal(0f, v));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AlignedFloats(-1));
        Assert.Throws<IndexOutOfRangeException>(() => a[40]);
        Assert.Throws<IndexOutOfRangeException>(() => a[-1]);
    }
}
