namespace Ssm.Engine.Tensors;

/// <summary>Chunked parallel loops: work below <see cref="Grain"/> elements runs on the calling thread.</summary>
public static class Par
{
    /// <summary>Minimum elements per parallel chunk (32K).</summary>
    public const int Grain = 32 * 1024;

    /// <summary>Upper bound on worker threads for tensor ops (default: processor count).</summary>
    public static int MaxThreads { get; set; } = Environment.ProcessorCount;

    /// <summary>Calls <paramref name="body"/>(start, end) over [0, n) in chunks of at least
    /// <paramref name="grain"/> items, in parallel when there is more than one chunk.</summary>
    public static void For(int n, int grain, Action<int, int> body)
    {
        grain = Math.Max(1, grain);
        if (n <= grain || MaxThreads <= 1)
        {
            if (n > 0) body(0, n);
            return;
        }
        int chunks = Math.Min((n + grain - 1) / grain, MaxThreads * 4);
        int size = (n + chunks - 1) / chunks;
        var opts = new ParallelOptions { MaxDegreeOfParallelism = MaxThreads };
        Parallel.For(0, chunks, opts, c =>
        {
            int s = c * size, e = Math.Min(n, s + size);
            if (s < e) body(s, e);
        });
    }

    /// <summary>Parallel loop over <paramref name="rows"/> rows of <paramref name="rowLength"/> elements,
    /// grouping rows so each chunk holds about <see cref="Grain"/> elements.</summary>
    public static void Rows(int rows, int rowLength, Action<int, int> body) =>
        For(rows, Math.Max(1, Grain / Math.Max(1, rowLength)), body);
}
