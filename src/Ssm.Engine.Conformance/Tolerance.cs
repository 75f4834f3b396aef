namespace Ssm.Engine.Conformance;

/// <summary>Acceptance rule of one tensor: <c>max|got − golden| ≤ Atol + Rtol · max|golden|</c>.</summary>
public readonly record struct Tolerance(double Atol, double Rtol)
{
    /// <summary>The bound for a golden tensor whose largest magnitude is <paramref name="maxAbsGolden"/>.</summary>
    public double Bound(double maxAbsGolden) => Atol + Rtol * maxAbsGolden;
}
