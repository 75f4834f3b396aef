// Launch-shape choice shared by the lane-parallel recurrence kernels (selective scan forward and backward, decode
// step, SSD recurrent forward): a group of R rows × W lanes, W = next power of two ≥ N (at most 32 and at most the
// group size), lane k owning the states n = k, k + W, … of its row, and T tokens staged per tile in shared memory.
namespace Ssm.Engine.Kernels.Gpu;

/// <summary>W lanes per row, R rows per group, T tokens per tile and the dynamic shared memory in floats.</summary>
internal readonly record struct LaneLayout(int Lanes, int Rows, int Tile, int SharedFloats)
{
    /// <summary>Threads per group on a real GPU: 128 gives several groups per SM at B·D = 1536.</summary>
    public const int GpuGroupSize = 128;

    /// <summary>Default shared-memory budget of a group in floats (44 KiB, under the 48 KiB CUDA allows without
    /// opt-in).</summary>
    public const int DefaultBudget = 11264;

    /// <summary>The group size the lane kernels use on <paramref name="device"/>: 128 threads on CUDA and OpenCL,
    /// the whole (small) group on the CPU simulators.</summary>
    public static int GroupSize(GpuDevice device) => device.Kind is GpuDeviceKind.Cuda or GpuDeviceKind.OpenCL
        ? Math.Min(GpuGroupSize, device.GroupSize) : device.GroupSize;

    /// <summary>W for <paramref name="state"/> states in groups of <paramref name="groupSize"/> threads.</summary>
    public static int LanesFor(int state, int groupSize)
    {
        int lanes = 1;
        while (lanes < state && lanes < 32 && lanes < groupSize) lanes *= 2;
        return lanes;
    }

    /// <summary>The layout for <paramref name="state"/> states: the longest tile (≤ <paramref name="maxTile"/>),
    /// then the most rows, whose <paramref name="sharedFloats"/>(lanes, rows, tile) fits
    /// <paramref name="budget"/>; throws naming <paramref name="op"/> when even one row and one token exceed 48 KiB.
    /// </summary>
    public static LaneLayout Fit(string op, int state, int groupSize, int maxTile, int budget,
        Func<int, int, int, int> sharedFloats)
    {
        int lanes = LanesFor(state, groupSize);
        int rows = Math.Max(1, groupSize / lanes), tile = maxTile;
        while (tile > 1 && sharedFloats(lanes, rows, tile) > budget) tile /= 2;
        while (rows > 1 && sharedFloats(lanes, rows, tile) > budget) rows /= 2;
        int floats = sharedFloats(lanes, rows, tile);
        if (floats > 12288)
            throw new ArgumentException(
                $"{op} N={state} needs {floats} floats of shared memory per group, more than 48 KiB");
        return new LaneLayout(lanes, rows, tile, floats);
    }
}
