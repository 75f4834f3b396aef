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

    // The message is built only on failure, so a passing check allocates nothing.
    internal static void Need(string name, int got, long want, string letters, int d0, int d1 = -1)
    {
        if (got >= want) return;
        string dims = d1 < 0 ? $"{d0}" : $"{d0}, {d1}";
        throw new ArgumentException($"{Op} {name} holds {got} values, needs ({letters}) = ({dims}) = {want}");
    }

    /// <summary>Checks the conv-step spans: buf (D, K), weight (D, K), bias (D) or empty, x (D).</summary>
    public static void ValidateConv(int d, int k, int buf, int weight, int bias, int x)
    {
        if (d <= 0 || k <= 0) throw new ArgumentException($"{Op} sizes must be positive: D={d} K={k}");
        Need("conv_state", buf, (long)d * k, "D, K", d, k);
        Need("weight", weight, (long)d * k, "D, K", d, k);
        if (bias != 0) Need("bias", bias, d, "D", d);
        Need("x", x, d, "D", d);
    }

    /// <summary>Checks the state-update spans: state, A (D, N); x, dt, dt_bias, Dskip, z, y (D); B, C (N).</summary>
    public static void ValidateSsm(int d, int n, int state, int a, int x, int dt, int dtBias, int dskip, int b,
        int c, int z, int y)
    {
        if (d <= 0 || n <= 0) throw new ArgumentException($"{Op} sizes must be positive: D={d} N={n}");
        Need("state", state, (long)d * n, "D, N", d, n);
        Need("A", a, (long)d * n, "D, N", d, n);
        Need("x", x, d, "D", d);
        Need("dt", dt, d, "D", d);
        Need("dt_bias", dtBias, d, "D", d);
        Need("D", dskip, d, "D", d);
        Need("B", b, n, "N", n);
        Need("C", c, n, "N", n);
        Need("z", z, d, "D", d);
        Need("y", y, d, "D", d);
    }
}
