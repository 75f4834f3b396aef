namespace Ssm.Engine.Conformance;

/// <summary>Verdict of one conformance case.</summary>
public enum CaseStatus
{
    /// <summary>Every checked tensor is within its tolerance.</summary>
    Pass,
    /// <summary>A tensor is out of tolerance, missing or NaN, or the case could not run.</summary>
    Fail,
    /// <summary>The engine cannot run the case yet (family not implemented, device unsupported).</summary>
    Skip,
}

/// <summary>The check of one tensor: its largest absolute error and the bound it had to meet
/// (<c>atol + rtol · max|golden|</c>). A NaN error fails.</summary>
public sealed record TensorResult(string Name, double MaxErr, double Tol)
{
    /// <summary>True when <see cref="MaxErr"/> is a number no larger than <see cref="Tol"/>.</summary>
    public bool Passed => !double.IsNaN(MaxErr) && MaxErr <= Tol;

    /// <summary>max_err / tol; +∞ for NaN errors and for a non-zero error against a zero bound.</summary>
    public double Ratio =>
        double.IsNaN(MaxErr) ? double.PositiveInfinity
        : Tol > 0 ? MaxErr / Tol
        : MaxErr == 0 ? 0 : double.PositiveInfinity;
}

/// <summary>What running one case produced: a status, the tensors checked and, for errors and
/// skips, a message.</summary>
public sealed record CaseOutcome(CaseStatus Status, IReadOnlyList<TensorResult> Tensors, string? Message)
{
    /// <summary>The tensor with the largest max_err/tol ratio (the first on ties), or null.</summary>
    public TensorResult? Worst =>
        Tensors.Count == 0 ? null : Tensors.Aggregate((a, b) => b.Ratio > a.Ratio ? b : a);

    /// <summary>Pass when every tensor passed (and there is at least one), otherwise Fail.</summary>
    public static CaseOutcome FromTensors(IReadOnlyList<TensorResult> tensors) =>
        tensors.Count == 0
            ? Error("no tensor was checked")
            : new(tensors.All(t => t.Passed) ? CaseStatus.Pass : CaseStatus.Fail, tensors, null);

    /// <summary>A failure that has no tensor to show (reported as <c>error: message</c>).</summary>
    public static CaseOutcome Error(string message) => new(CaseStatus.Fail, [], message);

    /// <summary>A skip with its reason.</summary>
    public static CaseOutcome Skipped(string reason) => new(CaseStatus.Skip, [], reason);
}
