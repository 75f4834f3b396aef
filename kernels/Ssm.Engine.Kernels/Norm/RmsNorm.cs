// RMSNorm with the options of mamba_ssm's two reference functions:
//   ops/triton/layer_norm.py: rms_norm_ref        (residual add, bias)
//   ops/triton/layernorm_gated.py: rms_norm_ref   (gate z, norm_before_gate, group_size)
// x, residual, z, y, residual_out: (R, C) rows of C channels (R = product of the leading dims); weight, bias: (C,)
//   s = x + residual                                     (residual_out = s)
//   v = s · silu(z)            if z and not norm_before_gate, else v = s
//   per contiguous group of G channels: n = v / sqrt(mean(v²) + eps)
//   y = n · weight (+ bias);   y *= silu(z)   if z and norm_before_gate
namespace Ssm.Engine.Kernels.Norm;

/// <summary>Sizes of an RMSNorm call: <paramref name="Rows"/> rows of <paramref name="Channels"/> values, normalised
/// over contiguous groups of <paramref name="GroupSize"/> channels (0 = one group of all channels).</summary>
public readonly record struct RmsNormShape(int Rows, int Channels, int GroupSize = 0)
{
    /// <summary>The effective group size G (Channels when <see cref="GroupSize"/> is 0).</summary>
    public int Group => GroupSize == 0 ? Channels : GroupSize;
}

/// <summary>Options of an RMSNorm call.</summary>
/// <param name="Eps">Added to mean(v²) before the square root.</param>
/// <param name="NormBeforeGate">With a gate z: true = y = norm(x)·silu(z); false = y = norm(x·silu(z))
/// (Mamba-2).</param>
/// <param name="Threads">Maximum worker threads of the Cpu path (0 = all cores).</param>
public readonly record struct RmsNormOptions(double Eps = 1e-5, bool NormBeforeGate = true, int Threads = 0);

/// <summary>RMSNorm (optionally residual-added, gated and grouped): <see cref="Reference"/> and <see cref="Cpu"/>.
/// Optional tensors are empty spans.</summary>
public static partial class RmsNorm
{
    /// <summary>Checks sizes; the optional lengths may be 0.</summary>
    public static void Validate(in RmsNormShape s, int x, int residual, int z, int weight, int bias, int y,
        int residualOut)
    {
        if (s.Rows < 0 || s.Channels < 1 || s.GroupSize < 0 || s.Channels % s.Group != 0)
            throw new ArgumentException($"[rmsnorm] invalid shape R={s.Rows} C={s.Channels} group_size={s.GroupSize}");
        long rc = (long)s.Rows * s.Channels;
        Need("x", "(R, C)", x, rc);
        Optional("residual", "(R, C)", residual, rc);
        Optional("z", "(R, C)", z, rc);
        Need("weight", "(C,)", weight, s.Channels);
        Optional("bias", "(C,)", bias, s.Channels);
        Need("y", "(R, C)", y, rc);
        Optional("residual_out", "(R, C)", residualOut, rc);
    }

    private static void Need(string name, string dims, int length, long expected)
    {
        if (length != expected)
            throw new ArgumentException($"[rmsnorm] {name} {dims} holds {length} values, expected {expected}");
    }

    private static void Optional(string name, string dims, int length, long expected)
    {
        if (length != 0) Need(name, dims, length, expected);
    }
}
