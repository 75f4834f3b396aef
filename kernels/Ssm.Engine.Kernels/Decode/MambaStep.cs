// Fused per-token pieces of a Mamba-1 decode step, on spans of one sequence row, allocation-free:
//   conv:  buf (D, K) ← shift left, append x (D); x ← silu(Σ_k w[d, k]·buf[d, k] + bias[d])
//   ssm:   dt = softplus(dt + dt_bias); state (D, N) ← exp(dt·A)·state + dt·B·x;
//          y = (Σ_n state·C + Dskip·x)·silu(z)
//   norm:  residual ← hidden + residual (or hidden when first); out = rmsnorm(residual) · weight
namespace Ssm.Engine.Kernels.Decode;

/// <summary>Mamba-1 decode-step pieces for one sequence: <see cref="Reference"/> float64 loops (the spec) and
/// the <see cref="Cpu"/> path (vectorised, single-threaded, no allocations).</summary>
public static partial class MambaStep
{
    internal const string Op = "[mamba_step]";

    internal static void Need(string name, int got, long want, string shape)
    {
        if (got < want) throw new ArgumentException($"{Op} {name} holds {got} values, needs {shape} = {want}");
    }

    /// <summary>Checks the conv-step spans: buf (D, K), weight (D, K), bias (D) or empty, x (D).</summary>
    public static void ValidateConv(int d, int k, int buf, int weight, int bias, int x)
    {
        if (d <= 0 || k <= 0) throw new ArgumentException($"{Op} sizes must be positive: D={d} K={k}");
        Need("conv_state", buf, (long)d * k, $"(D, K) = ({d}, {k})");
        Need("weight", weight, (long)d * k, $"(D, K) = ({d}, {k})");
        if (bias != 0) Need("bias", bias, d, $"(D) = ({d})");
        Need("x", x, d, $"(D) = ({d})");
    }

    /// <summary>Checks the state-update spans: state, A (D, N); x, dt, dt_bias, Dskip, z, y (D); B, C (N).</summary>
    public static void ValidateSsm(int d, int n, int state, int a, int x, int dt, int dtBias, int dskip, int b,
        int c, int z, int y)
    {
        if (d <= 0 || n <= 0) throw new ArgumentException($"{Op} sizes must be positive: D={d} N={n}");
        string dn = $"(D, N) = ({d}, {n})", dd = $"(D) = ({d})", nn = $"(N) = ({n})";
        Need("state", state, (long)d * n, dn);
        Need("A", a, (long)d * n, dn);
        Need("x", x, d, dd);
        Need("dt", dt, d, dd);
        Need("dt_bias", dtBias, d, dd);
        Need("D", dskip, d, dd);
        Need("B", b, n, nn);
        Need("C", c, n, nn);
        Need("z", z, d, dd);
        Need("y", y, d, dd);
    }
}
