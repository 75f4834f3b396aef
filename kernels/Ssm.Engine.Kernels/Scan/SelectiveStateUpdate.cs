// One decode step of the selective state space (golden family selective_state_update).
//   state, new_state: (B, H, P, N)   x, dt, z, y: (B, H, P)   A: (H, P, N)   B, C: (B, G, N)
//   D, dt_bias: (H, P);   head h uses group h / (H/G)
// Mamba-1 form (state (B, D, N), x (B, D), A (D, N), B/C (B, N), D (D)) is H = 1, P = D, G = 1: same memory.
// dt = softplus?(dt + dt_bias);  state' = exp(dt·A)·state + dt·B·x;  y = (Σ_n state'·C + D·x)·silu(z)
namespace Ssm.Engine.Kernels.Scan;

/// <summary>Selective state update (decode step): <see cref="Reference"/> float64 loops and the
/// <see cref="Cpu"/> path, forward (<c>Step</c>) and backward.</summary>
public static partial class SelectiveStateUpdate
{
    internal const string Op = "[selective_state_update]";

    /// <summary>Checks every array length against the shape.</summary>
    public static void Validate<T>(in SelectiveStateUpdateShape s, SelectiveStateUpdateInputs<T> x, int yLength,
        int newStateLength) where T : unmanaged
    {
        if (s.Batch <= 0 || s.Heads <= 0 || s.HeadDim <= 0 || s.State <= 0 || s.Groups <= 0)
            throw new ArgumentException($"{Op} sizes must be positive: {s}");
        if (s.Heads % s.Groups != 0) throw new ArgumentException($"{Op} H={s.Heads} is not a multiple of G={s.Groups}");
        long bhp = (long)s.Batch * s.Heads * s.HeadDim, hp = (long)s.Heads * s.HeadDim;
        string bhpText = $"(B, H, P) = ({s.Batch}, {s.Heads}, {s.HeadDim})";
        string stText = $"(B, H, P, N) = ({s.Batch}, {s.Heads}, {s.HeadDim}, {s.State})";
        string bgn = $"(B, G, N) = ({s.Batch}, {s.Groups}, {s.State})", hpText = $"(H, P) = ({s.Heads}, {s.HeadDim})";
        Check("state", x.State.Length, bhp * s.State, stText);
        Check("x", x.X.Length, bhp, bhpText);
        Check("dt", x.Dt.Length, bhp, bhpText);
        Check("A", x.A.Length, hp * s.State, $"(H, P, N) = ({s.Heads}, {s.HeadDim}, {s.State})");
        Check("B", x.B.Length, (long)s.Batch * s.Groups * s.State, bgn);
        Check("C", x.C.Length, (long)s.Batch * s.Groups * s.State, bgn);
        if (x.D is not null) Check("D", x.D.Length, hp, hpText);
        if (x.DtBias is not null) Check("dt_bias", x.DtBias.Length, hp, hpText);
        if (x.Z is not null) Check("z", x.Z.Length, bhp, bhpText);
        if (yLength >= 0) Check("y", yLength, bhp, bhpText);
        if (newStateLength >= 0) Check("new_state", newStateLength, bhp * s.State, stText);
    }

    private static void Check(string name, long got, long want, string shape)
    {
        if (got != want) throw new ArgumentException($"{Op} {name} holds {got} values, expected {shape} = {want}");
    }
}

/// <summary>Sizes of one decode step: B batch, H heads, P head dim, N state, G groups of B/C.</summary>
/// <param name="Batch">B.</param>
/// <param name="Heads">H (1 for the Mamba-1 form).</param>
/// <param name="HeadDim">P (D for the Mamba-1 form).</param>
/// <param name="State">N.</param>
/// <param name="Groups">G.</param>
public readonly record struct SelectiveStateUpdateShape(int Batch, int Heads, int HeadDim, int State, int Groups = 1)
{
    /// <summary>The Mamba-1 form: state (B, D, N), x (B, D), A (D, N), B/C (B, N), D and dt_bias (D).</summary>
    public static SelectiveStateUpdateShape Mamba1(int batch, int dim, int state) => new(batch, 1, dim, state, 1);

    /// <summary>Group of head <paramref name="h"/>.</summary>
    public int GroupOf(int h) => h / (Heads / Groups);
}

/// <summary>Flags of one decode step.</summary>
/// <param name="DtSoftplus">Apply softplus to dt (+ dt_bias).</param>
/// <param name="Threads">Worker threads of the Cpu path (0 = all cores).</param>
public readonly record struct SelectiveStateUpdateOptions(bool DtSoftplus = false, int Threads = 0);

/// <summary>Inputs of a decode step (shapes in <see cref="SelectiveStateUpdate"/>); null optional = not used.</summary>
public sealed class SelectiveStateUpdateInputs<T> where T : unmanaged
{
    /// <summary>state: (B, H, P, N).</summary>
    public required T[] State { get; init; }

    /// <summary>x: (B, H, P).</summary>
    public required T[] X { get; init; }

    /// <summary>dt: (B, H, P), before bias and softplus.</summary>
    public required T[] Dt { get; init; }

    /// <summary>A: (H, P, N).</summary>
    public required T[] A { get; init; }

    /// <summary>B: (B, G, N).</summary>
    public required T[] B { get; init; }

    /// <summary>C: (B, G, N).</summary>
    public required T[] C { get; init; }

    /// <summary>D: (H, P), optional.</summary>
    public T[]? D { get; init; }

    /// <summary>z: (B, H, P), optional.</summary>
    public T[]? Z { get; init; }

    /// <summary>dt_bias: (H, P), optional.</summary>
    public T[]? DtBias { get; init; }
}

/// <summary>Gradients of a decode step, one per input (null where the input is absent).</summary>
public sealed class SelectiveStateUpdateGrads<T> where T : unmanaged
{
    /// <summary>d state.</summary>
    public required T[] State { get; init; }

    /// <summary>d x.</summary>
    public required T[] X { get; init; }

    /// <summary>d dt.</summary>
    public required T[] Dt { get; init; }

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

    /// <summary>d dt_bias.</summary>
    public T[]? DtBias { get; init; }

    /// <summary>Zeroed gradients shaped like <paramref name="x"/>.</summary>
    public static SelectiveStateUpdateGrads<T> ZerosLike(SelectiveStateUpdateInputs<T> x) => new()
    {
        State = new T[x.State.Length], X = new T[x.X.Length], Dt = new T[x.Dt.Length], A = new T[x.A.Length],
        B = new T[x.B.Length], C = new T[x.C.Length], D = x.D is null ? null : new T[x.D.Length],
        Z = x.Z is null ? null : new T[x.Z.Length], DtBias = x.DtBias is null ? null : new T[x.DtBias.Length],
    };
}
