// Row partitioning shared by the conv and norm Cpu paths: contiguous row ranges, a few per worker so a busy core
// does not hold the others back; small problems run inline on the calling thread.
namespace Ssm.Engine.Kernels.Conv1d;

/// <summary>Runs a body over contiguous ranges of independent rows.</summary>
internal static class RowParallel
{
    /// <summary>Below this many elements of total work the call stays on one thread.</summary>
    public const long MinParallelWork = 1 << 15;

    /// <summary>Calls <paramref name="body"/>(start, end) over [0, rows) using at most <paramref name="threads"/>
    /// workers (0 = all cores).</summary>
    public static void For(int rows, long work, int threads, Action<int, int> body)
    {
        int workers = threads > 0 ? threads : Environment.ProcessorCount;
        if (workers <= 1 || rows <= 1 || work < MinParallelWork)
        {
            if (rows > 0) body(0, rows);
            return;
        }
        int chunks = Math.Min(rows, workers * 4);
        var po = new ParallelOptions { MaxDegreeOfParallelism = workers };
        Parallel.For(0, chunks, po, c =>
        {
            int start = (int)((long)rows * c / chunks), end = (int)((long)rows * (c + 1) / chunks);
            if (end > start) body(start, end);
        });
    }

    /// <summary>Number of chunks <see cref="ForChunks"/> will use.</summary>
    public static int ChunkCount(int rows, long work, int threads)
    {
        int workers = threads > 0 ? threads : Environment.ProcessorCount;
        if (workers <= 1 || rows <= 1 || work < MinParallelWork) return rows > 0 ? 1 : 0;
        return Math.Min(rows, workers);
    }

    /// <summary>Calls <paramref name="body"/>(chunk, start, end) for <see cref="ChunkCount"/> contiguous chunks, so a
    /// caller can give each chunk its own partial sums and reduce them in a fixed order (deterministic).</summary>
    public static void ForChunks(int rows, long work, int threads, Action<int, int, int> body)
    {
        int chunks = ChunkCount(rows, work, threads);
        if (chunks == 1) { body(0, 0, rows); return; }
        var po = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : -1 };
        Parallel.For(0, chunks, po, c =>
            body(c, (int)((long)rows * c / chunks), (int)((long)rows * (c + 1) / chunks)));
    }
}
