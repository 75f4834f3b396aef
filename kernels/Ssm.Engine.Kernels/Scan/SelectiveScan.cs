// Mamba-1 S6 selective scan (golden families selective_scan, selective_scan_init).
//   u, delta, z, y: (B, D, L)      A: (D, N)      D, delta_bias: (D)      h0, last_state: (B, D, N)
//   B, C: (D, N) time-invariant, or (B, G, N, L) variable (G = 1 also covers (B, N, L) and (B, 1, N, L))
// dt[d,t] = softplus?(delta[d,t] + delta_bias[d]);   group of channel d: g = d / (D/G)
// h[n] = exp(dt·A[d,n])·h[n] + dt·B[g,n,t]·u[d,t];   y = (Σ_n h[n]·C[g,n,t] + D[d]·u)·silu(z)
// h starts at h0 (or 0); reverse processes t = L-1 .. 0 (== flip(scan(flip(x))) along L).
namespace Ssm.Engine.Kernels.Scan;

/// <summary>Selective scan (Mamba-1 S6): <see cref="Reference"/> float64 loops and the fast <see cref="Cpu"/>
/// path.</summary>
public static partial class SelectiveScan
{
    internal const string Op = "[selective_scan]";

    /// <summary>Checks every array length against the shape; messages name the tensor and its shape.</summary>
    public static void Validate<T>(in SelectiveScanShape s, SelectiveScanInputs<T> x, int yLength, int lastStateLength)
        where T : unmanaged
    {
        if (s.Batch <= 0 || s.Dim <= 0 || s.Length <= 0 || s.State <= 0 || s.Groups <= 0)
            throw new ArgumentException($"{Op} sizes must be positive: {s}");
        if (s.Dim % s.Groups != 0)
            throw new ArgumentException($"{Op} D={s.Dim} is not a multiple of G={s.Groups}");
        long bdl = (long)s.Batch * s.Dim * s.Length, bdn = (long)s.Batch * s.Dim * s.State;
        string bdlText = $"(B, D, L) = ({s.Batch}, {s.Dim}, {s.Length})";
        string bdnText = $"(B, D, N) = ({s.Batch}, {s.Dim}, {s.State})";
        Check("u", x.U.Length, bdl, bdlText);
        Check("delta", x.Delta.Length, bdl, bdlText);
        Check("A", x.A.Length, (long)s.Dim * s.State, $"(D, N) = ({s.Dim}, {s.State})");
        Check("B", x.B.Length, s.BLength, s.VariableB ? s.VariableText : $"(D, N) = ({s.Dim}, {s.State})");
        Check("C", x.C.Length, s.CLength, s.VariableC ? s.VariableText : $"(D, N) = ({s.Dim}, {s.State})");
        if (x.D is not null) Check("D", x.D.Length, s.Dim, $"(D) = ({s.Dim})");
        if (x.DeltaBias is not null) Check("delta_bias", x.DeltaBias.Length, s.Dim, $"(D) = ({s.Dim})");
        if (x.Z is not null) Check("z", x.Z.Length, bdl, bdlText);
        if (x.H0 is not null) Check("h0", x.H0.Length, bdn, bdnText);
        Check("y", yLength, bdl, bdlText);
        if (lastStateLength >= 0) Check("last_state", lastStateLength, bdn, bdnText);
    }

    internal static void Check(string name, long got, long want, string shape)
    {
        if (got != want)
            throw new ArgumentException($"{Op} {name} holds {got} values, expected {shape} = {want}");
    }
}

/// <summary>Sizes of one selective scan: B batch, D channels, L length, N state, G groups of B/C.</summary>
/// <param name="Batch">B.</param>
/// <param name="Dim">D (d_inner).</param>
/// <param name="Length">L.</param>
/// <param name="State">N (d_state).</param>
/// <param name="Groups">G: B/C groups when variable (channel d uses group d / (D/G)).</param>
/// <param name="VariableB">True: B is (B, G, N, L); false: time-invariant (D, N).</param>
/// <param name="VariableC">True: C is (B, G, N, L); false: time-invariant (D, N).</param>
public readonly record struct SelectiveScanShape(int Batch, int Dim, int Length, int State, int Groups = 1,
    bool VariableB = true, bool VariableC = true)
{
    /// <summary>Values in B.</summary>
    public long BLength => VariableB ? (long)Batch * Groups * State * Length : (long)Dim * State;

    /// <summary>Values in C.</summary>
    public long CLength => VariableC ? (long)Batch * Groups * State * Length : (long)Dim * State;

    /// <summary>Group of channel <paramref name="d"/>.</summary>
    public int GroupOf(int d) => d / (Dim / Groups);

    internal string VariableText => $"(B, G, N, L) = ({Batch}, {Groups}, {State}, {Length})";
}

/// <summary>Flags of one selective scan.</summary>
/// <param name="DeltaSoftplus">Apply softplus to delta (+ delta_bias).</param>
/// <param name="Reverse">Scan from t = L-1 down to 0.</param>
/// <param name="Threads">Worker threads of the Cpu path (0 = all cores).</param>
public readonly record struct SelectiveScanOptions(bool DeltaSoftplus = false, bool Reverse = false, int Threads = 0);

/// <summary>Inputs of a selective scan (shapes in <see cref="SelectiveScan"/>); null optional = not used.</summary>
public sealed class SelectiveScanInputs<T> where T : unmanaged
{
    /// <summary>u: (B, D, L).</summary>
    public required T[] U { get; init; }

    /// <summary>delta: (B, D, L), before bias and softplus.</summary>
    public required T[] Delta { get; init; }

    /// <summary>A: (D, N).</summary>
    public required T[] A { get; init; }

    /// <summary>B: (D, N) or (B, G, N, L).</summary>
    public required T[] B { get; init; }

    /// <summary>C: (D, N) or (B, G, N, L).</summary>
    public required T[] C { get; init; }

    /// <summary>D (skip): (D), optional.</summary>
    public T[]? D { get; init; }

    /// <summary>z (gate): (B, D, L), optional.</summary>
    public T[]? Z { get; init; }

    /// <summary>delta_bias: (D), optional.</summary>
    public T[]? DeltaBias { get; init; }

    /// <summary>h0 (state before the first processed token): (B, D, N), optional.</summary>
    public T[]? H0 { get; init; }
}

/// <summary>Gradients of a selective scan, one per input (null where the input is absent).</summary>
public sealed class SelectiveScanGrads<T> where T : unmanaged
{
    /// <summary>d u.</summary>
    public required T[] U { get; init; }

    /// <summary>d delta.</summary>
    public required T[] Delta { get; init; }

    /// <summary>d A.</summary>
    public required T[] A { get; init; }

    /// <summary>d B.</summary>
    public required T[] B { get; init; }

    /// <summary>d C.</summary>
    public required T[] C { get; init; }

    /// <summary>d D.</summary>
    public T[]? D { get; init; }

    /// <summary>d z.</summary>
    public T[]? Z { get; init; }

    /// <summary>d delta_bias.</summary>
    public T[]? DeltaBias { get; init; }

    /// <summary>d h0.</summary>
    public T[]? H0 { get; init; }

    /// <summary>Zeroed gradients shaped like <paramref name="x"/>.</summary>
    public static SelectiveScanGrads<T> ZerosLike(SelectiveScanInputs<T> x) => new()
    {
        U = new T[x.U.Length], Delta = new T[x.Delta.Length], A = new T[x.A.Length],
        B = new T[x.B.Length], C = new T[x.C.Length],
        D = x.D is null ? null : new T[x.D.Length], Z = x.Z is null ? null : new T[x.Z.Length],
        DeltaBias = x.DeltaBias is null ? null : new T[x.DeltaBias.Length],
        H0 = x.H0 is null ? null : new T[x.H0.Length],
    };
}
