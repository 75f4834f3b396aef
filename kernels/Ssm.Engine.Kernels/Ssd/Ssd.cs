// Mamba-2 SSD (state-space duality), mamba_chunk_scan_combined semantics (golden FORMAT.md 4.4-4.6).
//   dt = clamp(softplus?(dt + dt_bias), DtMin, DtMax)                      dt: (B, L, H)
//   h_t = exp(dt_t·A[h])·h_{t-1} + dt_t·x_t ⊗ B_t[g(h)]                   h: (B, H, P, N), g(h) = h / (H/G)
//   y_t = h_t·C_t[g(h)] + D·x_t;  y_t *= silu(z_t)                         x, z, y: (B, L, H, P); B, C: (B, L, G, N)
// The pre-discretised form (ssd_minimal_discrete) takes X = x·dt and a per-token log decay A (B, L, H) with
// per-head B/C (G = H) and no D / z / dt pipeline. Both forms reduce to one core recurrence with a per-token
// log decay dA (B, L, H) and an optional per-token input scale (dt), which Reference and Cpu implement.
namespace Ssm.Engine.Kernels.Ssd;

/// <summary>Which algorithm computes the SSD forward.</summary>
public enum SsdAlgorithm
{
    /// <summary>The faster one for the shape on the device (the recurrence on a CPU, see <c>Ssd.Cpu</c>).</summary>
    Auto,
    /// <summary>The chunked matrix form (chunk size <see cref="SsdOptions.ChunkSize"/>).</summary>
    Chunked,
    /// <summary>The token-by-token recurrence.</summary>
    Recurrent,
}

/// <summary>Sizes of one SSD call (glossary letters). <c>H</c> must be a multiple of <c>G</c>.</summary>
public readonly record struct SsdShape(int B, int L, int H, int P, int G, int N)
{
    /// <summary>Number of x / y / z elements: B·L·H·P.</summary>
    public int XLength => B * L * H * P;

    /// <summary>Number of dt elements: B·L·H.</summary>
    public int DtLength => B * L * H;

    /// <summary>Number of B / C elements: B·L·G·N.</summary>
    public int BcLength => B * L * G * N;

    /// <summary>Number of state elements: B·H·P·N.</summary>
    public int StateLength => B * H * P * N;

    /// <summary>Heads per group (H / G).</summary>
    public int HeadsPerGroup => H / G;

    /// <summary>Throws <see cref="ArgumentException"/> prefixed <c>[op]</c> when the sizes are inconsistent.</summary>
    public void Validate(string op = "ssd")
    {
        if (B < 1 || L < 1 || H < 1 || P < 1 || G < 1 || N < 1)
            throw new ArgumentException($"[{op}] sizes must be positive: B={B} L={L} H={H} P={P} G={G} N={N}");
        if (H % G != 0) throw new ArgumentException($"[{op}] nheads H={H} is not a multiple of ngroups G={G}");
    }
}

/// <summary>Options of the SSD op: dt pipeline, algorithm and threading.</summary>
public sealed record SsdOptions
{
    /// <summary>Apply softplus to dt + dt_bias.</summary>
    public bool DtSoftplus { get; init; }

    /// <summary>Lower clamp of the processed dt (the upstream kernel always clamps; default 0).</summary>
    public float DtMin { get; init; }

    /// <summary>Upper clamp of the processed dt (default +∞).</summary>
    public float DtMax { get; init; } = float.PositiveInfinity;

    /// <summary>Chunk size Q of the chunked algorithm (any value ≥ 1; L need not be a multiple).</summary>
    public int ChunkSize { get; init; } = 256;

    /// <summary>Algorithm choice.</summary>
    public SsdAlgorithm Algorithm { get; init; } = SsdAlgorithm.Auto;

    /// <summary>Maximum worker threads (0 = all cores).</summary>
    public int Threads { get; init; }

    /// <summary>Default options (no softplus, clamp to [0, ∞), Auto).</summary>
    public static SsdOptions Default { get; } = new();
}

/// <summary>Inputs of the SSD op. Optional inputs are null when absent.</summary>
/// <typeparam name="T">float (Cpu, Reference) or double (Reference, gradient checks).</typeparam>
public sealed class SsdInputs<T> where T : struct
{
    /// <summary>x: (B, L, H, P).</summary>
    public required T[] X { get; init; }
    /// <summary>dt: (B, L, H), raw (before bias / softplus / clamp).</summary>
    public required T[] Dt { get; init; }
    /// <summary>A: (H), negative.</summary>
    public required T[] A { get; init; }
    /// <summary>B: (B, L, G, N).</summary>
    public required T[] B { get; init; }
    /// <summary>C: (B, L, G, N).</summary>
    public required T[] C { get; init; }
    /// <summary>D: (H) or (H, P), optional.</summary>
    public T[]? D { get; init; }
    /// <summary>z: (B, L, H, P), optional SiLU gate.</summary>
    public T[]? Z { get; init; }
    /// <summary>dt_bias: (H), optional.</summary>
    public T[]? DtBias { get; init; }
    /// <summary>initial_states: (B, H, P, N), optional.</summary>
    public T[]? InitialStates { get; init; }
}

/// <summary>Gradients of the SSD op, one array per input (null where the input is absent).</summary>
public sealed class SsdGradients<T> where T : struct
{
    /// <summary>∂S/∂x: (B, L, H, P).</summary>
    public required T[] X { get; init; }
    /// <summary>∂S/∂dt (raw dt): (B, L, H).</summary>
    public required T[] Dt { get; init; }
    /// <summary>∂S/∂A: (H).</summary>
    public required T[] A { get; init; }
    /// <summary>∂S/∂B: (B, L, G, N).</summary>
    public required T[] B { get; init; }
    /// <summary>∂S/∂C: (B, L, G, N).</summary>
    public required T[] C { get; init; }
    /// <summary>∂S/∂D, shaped like D.</summary>
    public T[]? D { get; init; }
    /// <summary>∂S/∂z.</summary>
    public T[]? Z { get; init; }
    /// <summary>∂S/∂dt_bias.</summary>
    public T[]? DtBias { get; init; }
    /// <summary>∂S/∂initial_states.</summary>
    public T[]? InitialStates { get; init; }

    /// <summary>Allocates zeroed gradient arrays matching <paramref name="inputs"/>.</summary>
    public static SsdGradients<T> Allocate(SsdInputs<T> inputs) => new()
    {
        X = new T[inputs.X.Length], Dt = new T[inputs.Dt.Length], A = new T[inputs.A.Length],
        B = new T[inputs.B.Length], C = new T[inputs.C.Length],
        D = inputs.D is null ? null : new T[inputs.D.Length],
        Z = inputs.Z is null ? null : new T[inputs.Z.Length],
        DtBias = inputs.DtBias is null ? null : new T[inputs.DtBias.Length],
        InitialStates = inputs.InitialStates is null ? null : new T[inputs.InitialStates.Length],
    };
}

/// <summary>Inputs of the pre-discretised form (ssd_minimal_discrete); shape has G = H.</summary>
public sealed class SsdDiscreteInputs<T> where T : struct
{
    /// <summary>X = x·dt: (B, L, H, P).</summary>
    public required T[] X { get; init; }
    /// <summary>A = A·dt (log decay per token, negative): (B, L, H).</summary>
    public required T[] A { get; init; }
    /// <summary>B: (B, L, H, N).</summary>
    public required T[] B { get; init; }
    /// <summary>C: (B, L, H, N).</summary>
    public required T[] C { get; init; }
    /// <summary>initial_states: (B, H, P, N), optional.</summary>
    public T[]? InitialStates { get; init; }
}

/// <summary>Gradients of the pre-discretised form.</summary>
public sealed class SsdDiscreteGradients<T> where T : struct
{
    /// <summary>∂S/∂X.</summary>
    public required T[] X { get; init; }
    /// <summary>∂S/∂A (B, L, H).</summary>
    public required T[] A { get; init; }
    /// <summary>∂S/∂B.</summary>
    public required T[] B { get; init; }
    /// <summary>∂S/∂C.</summary>
    public required T[] C { get; init; }
    /// <summary>∂S/∂initial_states (null when absent).</summary>
    public T[]? InitialStates { get; init; }

    /// <summary>Allocates zeroed gradient arrays matching <paramref name="inputs"/>.</summary>
    public static SsdDiscreteGradients<T> Allocate(SsdDiscreteInputs<T> inputs) => new()
    {
        X = new T[inputs.X.Length], A = new T[inputs.A.Length],
        B = new T[inputs.B.Length], C = new T[inputs.C.Length],
        InitialStates = inputs.InitialStates is null ? null : new T[inputs.InitialStates.Length],
    };
}

/// <summary>The Mamba-2 SSD op: <see cref="Reference"/> loops (float64) and the fast <c>Cpu</c> path.</summary>
public static partial class Ssd
{
    private static void CheckLength(string op, string name, int length, int expected, string shape)
    {
        if (length != expected)
            throw new ArgumentException($"[{op}] {name} holds {length} values, expected {expected} {shape}");
    }

    /// <summary>Validates sizes of every input and output; messages name the tensor and its expected shape.</summary>
    public static void Validate<T>(in SsdShape s, SsdInputs<T> x, int yLength, int? finalLength)
        where T : struct
    {
        s.Validate();
        CheckLength("ssd", "x", x.X.Length, s.XLength, $"(B={s.B}, L={s.L}, H={s.H}, P={s.P})");
        CheckLength("ssd", "dt", x.Dt.Length, s.DtLength, $"(B={s.B}, L={s.L}, H={s.H})");
        CheckLength("ssd", "A", x.A.Length, s.H, $"(H={s.H})");
        CheckLength("ssd", "B", x.B.Length, s.BcLength, $"(B={s.B}, L={s.L}, G={s.G}, N={s.N})");
        CheckLength("ssd", "C", x.C.Length, s.BcLength, $"(B={s.B}, L={s.L}, G={s.G}, N={s.N})");
        if (x.D is { } d && d.Length != s.H && d.Length != s.H * s.P)
            throw new ArgumentException($"[ssd] D holds {d.Length} values, expected (H={s.H}) or (H, P={s.P})");
        if (x.Z is { } z) CheckLength("ssd", "z", z.Length, s.XLength, "(B, L, H, P)");
        if (x.DtBias is { } bias) CheckLength("ssd", "dt_bias", bias.Length, s.H, $"(H={s.H})");
        if (x.InitialStates is { } h0) CheckLength("ssd", "initial_states", h0.Length, s.StateLength, "(B, H, P, N)");
        CheckLength("ssd", "y", yLength, s.XLength, "(B, L, H, P)");
        if (finalLength is int f) CheckLength("ssd", "final_states", f, s.StateLength, "(B, H, P, N)");
    }

    /// <summary>Validates the pre-discretised form (G must equal H).</summary>
    public static void Validate<T>(in SsdShape s, SsdDiscreteInputs<T> x, int yLength, int? finalLength)
        where T : struct
    {
        s.Validate("ssd_minimal");
        if (s.G != s.H) throw new ArgumentException($"[ssd_minimal] B/C are per head: G={s.G} must equal H={s.H}");
        CheckLength("ssd_minimal", "X", x.X.Length, s.XLength, "(B, L, H, P)");
        CheckLength("ssd_minimal", "A", x.A.Length, s.DtLength, "(B, L, H)");
        CheckLength("ssd_minimal", "B", x.B.Length, s.BcLength, "(B, L, H, N)");
        CheckLength("ssd_minimal", "C", x.C.Length, s.BcLength, "(B, L, H, N)");
        if (x.InitialStates is { } h0)
            CheckLength("ssd_minimal", "initial_states", h0.Length, s.StateLength, "(B, H, P, N)");
        CheckLength("ssd_minimal", "y", yLength, s.XLength, "(B, L, H, P)");
        if (finalLength is int f) CheckLength("ssd_minimal", "final_states", f, s.StateLength, "(B, H, P, N)");
    }

    /// <summary>Processed dt of one element: clamp(softplus?(dt + bias)); <paramref name="pass"/> is
    /// d(processed)/d(raw dt) (0 where the clamp is active).</summary>
    internal static double ProcessDt(double raw, double bias, SsdOptions o, out double pass)
    {
        double v = raw + bias;
        double grad = 1.0;
        if (o.DtSoftplus)
        {
            grad = Common.KernelMath.SoftplusGrad(v);
            v = Common.KernelMath.Softplus(v);
        }
        if (v < o.DtMin || v > o.DtMax) grad = 0.0;
        pass = grad;
        return Math.Clamp(v, (double)o.DtMin, (double)o.DtMax);
    }

    /// <summary>float form of <see cref="ProcessDt(double, double, SsdOptions, out double)"/>.</summary>
    internal static float ProcessDt(float raw, float bias, SsdOptions o, out float pass) =>
        ProcessDt(raw, bias, o.DtSoftplus, o.DtMin, o.DtMax, out pass);

    /// <summary>The float dt pipeline with plain arguments (callable from ILGPU kernels).</summary>
    internal static float ProcessDt(float raw, float bias, bool softplus, float min, float max, out float pass)
    {
        float v = raw + bias;
        float grad = 1f;
        if (softplus)
        {
            grad = Common.KernelMath.SoftplusGrad(v);
            v = Common.KernelMath.Softplus(v);
        }
        if (v < min || v > max) grad = 0f;
        pass = grad;
        return v < min ? min : v > max ? max : v;
    }
}
