namespace Ssm.Engine.Kernels.Layout;

public static partial class ViewCopy
{
    /// <summary>Plain loops: the specification and test oracle.</summary>
    public static class Reference
    {
        /// <summary>Copies every element of the layout from <paramref name="src"/> into <paramref name="dst"/>.
        /// </summary>
        public static void Copy(in ViewCopyLayout l, ReadOnlySpan<float> src, Span<float> dst)
        {
            Validate(l, src.Length, dst.Length);
            for (int i = 0; i < l.Count; i++)
            {
                l.Positions(i, out int s, out int d);
                dst[d] = src[s];
            }
        }
    }
}
