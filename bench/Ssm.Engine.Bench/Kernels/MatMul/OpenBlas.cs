using System.Runtime.InteropServices;

namespace Ssm.Engine.Bench.Kernels.MatMul;

/// <summary>OpenBLAS (Debian <c>libopenblas0-pthread</c>, soname <c>libopenblas.so.0</c>) as the comparison point.
/// Only the bench project binds to it; <see cref="IsAvailable"/> is false when the library is not installed.</summary>
internal static unsafe partial class OpenBlas
{
    private const string Lib = "libopenblas.so.0";
    public const int RowMajor = 101, NoTrans = 111, Trans = 112;

    /// <summary>True when libopenblas.so.0 can be loaded.</summary>
    public static bool IsAvailable { get; } = NativeLibrary.TryLoad(Lib, out _);

    [LibraryImport(Lib, EntryPoint = "cblas_sgemm")]
    public static partial void Sgemm(int order, int transA, int transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(Lib, EntryPoint = "cblas_sgemv")]
    public static partial void Sgemv(int order, int trans, int m, int n, float alpha, float* a, int lda,
        float* x, int incx, float beta, float* y, int incy);

    [LibraryImport(Lib, EntryPoint = "openblas_set_num_threads")]
    public static partial void SetNumThreads(int threads);
}
