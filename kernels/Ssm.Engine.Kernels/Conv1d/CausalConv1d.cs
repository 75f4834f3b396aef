// Causal depthwise conv1d (Dao-AILab/causal-conv1d: causal_conv1d_ref, causal_conv1d_update_ref).
//   x: (B, D, L)   weight: (D, K)   bias: (D,)   initial/final states: (B, D, K-1)
//   xp = concat(initial_states or zeros(K-1), x) along time
//   y[b,d,t] = act(bias[d] + Σ_{k<K} weight[d,k] · xp[b,d,t+k])    (weight[:, K-1] hits the current input)
//   final_states = last K-1 columns of xp;  act = SiLU or identity
// Update (decode) form: conv_state (B, D, S), S ≥ K-1, x (B, D, L) (L = 1 for a single token):
//   linear:   xn = concat(conv_state, x); y[t] uses xn[S+t-K+1 .. S+t]; new state = last S columns of xn
//   circular: the K-1 previous inputs sit at (cache_seqlens-(K-1) .. cache_seqlens-1) mod S; x_t is written
//             at (cache_seqlens+t) mod S.
namespace Ssm.Engine.Kernels.Conv1d;

/// <summary>Sizes of a causal depthwise conv1d call: batch B, channels D, length L, width K.</summary>
public readonly record struct CausalConv1dShape(int Batch, int Channels, int Length, int Width)
{
    /// <summary>Number of (b, d) rows.</summary>
    public int Rows => Batch * Channels;

    /// <summary>Columns of an initial/final state: K − 1.</summary>
    public int StateWidth => Width - 1;
}

/// <summary>Sizes of a conv update (decode) call: batch B, channels D, new tokens L, width K, state length S.</summary>
public readonly record struct CausalConv1dUpdateShape(int Batch, int Channels, int Length, int Width, int StateLength)
{
    /// <summary>Number of (b, d) rows.</summary>
    public int Rows => Batch * Channels;
}

/// <summary>Options shared by every conv entry point.</summary>
/// <param name="Silu">Apply SiLU to the output.</param>
/// <param name="Threads">Maximum worker threads of the Cpu path (0 = all cores).</param>
public readonly record struct CausalConv1dOptions(bool Silu = false, int Threads = 0);

/// <summary>Causal depthwise conv1d and its decode update: <see cref="Reference"/> loops and the
/// <see cref="Cpu"/> path.
/// Optional tensors are passed as empty spans.</summary>
public static partial class CausalConv1d
{
    /// <summary>Checks the sizes of a forward call. Optional spans may be empty.</summary>
    public static void Validate(in CausalConv1dShape s, int x, int weight, int bias, int initialStates,
        int y, int finalStates)
    {
        if (s.Batch < 0 || s.Channels < 0 || s.Length < 0 || s.Width < 1)
            throw new ArgumentException(
                $"[causal_conv1d] invalid shape B={s.Batch} D={s.Channels} L={s.Length} K={s.Width}");
        long bdl = (long)s.Rows * s.Length, state = (long)s.Rows * s.StateWidth;
        Need("x", "(B, D, L)", x, bdl);
        Need("weight", "(D, K)", weight, (long)s.Channels * s.Width);
        Optional("bias", "(D,)", bias, s.Channels);
        Optional("initial_states", "(B, D, K-1)", initialStates, state);
        Need("y", "(B, D, L)", y, bdl);
        Optional("final_states", "(B, D, K-1)", finalStates, state);
    }

    /// <summary>Checks the sizes of an update call. Optional spans may be empty.</summary>
    public static void Validate(in CausalConv1dUpdateShape s, int x, int convState, int weight, int bias,
        int cacheSeqlens, int y, int newState)
    {
        if (s.Batch < 0 || s.Channels < 0 || s.Length < 0 || s.Width < 1 || s.StateLength < s.Width - 1)
            throw new ArgumentException($"[causal_conv1d_update] invalid shape B={s.Batch} D={s.Channels} " +
                $"L={s.Length} K={s.Width} S={s.StateLength} (need S >= K-1)");
        long bdl = (long)s.Rows * s.Length, state = (long)s.Rows * s.StateLength;
        Need("x", "(B, D, L)", x, bdl, "causal_conv1d_update");
        Need("conv_state", "(B, D, S)", convState, state, "causal_conv1d_update");
        Need("weight", "(D, K)", weight, (long)s.Channels * s.Width, "causal_conv1d_update");
        Optional("bias", "(D,)", bias, s.Channels, "causal_conv1d_update");
        Optional("cache_seqlens", "(B,)", cacheSeqlens, s.Batch, "causal_conv1d_update");
        if (cacheSeqlens != 0 && s.StateLength < 1)
            throw new ArgumentException("[causal_conv1d_update] a circular conv_state needs S >= 1");
        Need("y", "(B, D, L)", y, bdl, "causal_conv1d_update");
        Need("new conv_state", "(B, D, S)", newState, state, "causal_conv1d_update");
    }

    private static void Need(string name, string dims, int length, long expected, string op = "causal_conv1d")
    {
        if (length != expected)
            throw new ArgumentException($"[{op}] {name} {dims} holds {length} values, expected {expected}");
    }

    private static void Optional(string name, string dims, int length, long expected, string op = "causal_conv1d")
    {
        if (length != 0) Need(name, dims, length, expected, op);
    }

    /// <summary>Index into the circular state where the update reads or writes: (seqlen + offset) mod S,
    /// non-negative.</summary>
    internal static int Wrap(long seqlen, long offset, int stateLength)
    {
        long p = (seqlen + offset) % stateLength;
        return (int)(p < 0 ? p + stateLength : p);
    }
}
