namespace Ssm.Engine.Models.Generation;

/// <summary>Chooses the next token from one row of logits (see <see cref="SamplingOptions"/>).</summary>
public sealed class Sampler
{
    private readonly SamplingOptions _o;
    private readonly Random _rng;

    /// <summary>A sampler with its own seeded generator.</summary>
    public Sampler(SamplingOptions options)
    {
        options.Validate();
        _o = options;
        _rng = options.Seed is { } s ? new Random(s) : new Random();
    }

    /// <summary>The next token given <paramref name="logits"/> (the real vocabulary only) and the tokens seen so
    /// far (for the repetition penalty).</summary>
    public int Next(ReadOnlySpan<float> logits, IReadOnlyCollection<int> seen)
    {
        var x = new double[logits.Length];
        for (int i = 0; i < x.Length; i++) x[i] = logits[i];
        if (_o.RepetitionPenalty != 1)
            foreach (int t in seen.Distinct())
                if ((uint)t < (uint)x.Length)
                    x[t] = x[t] > 0 ? x[t] / _o.RepetitionPenalty : x[t] * _o.RepetitionPenalty;
        if (_o.Temperature == 0) return ArgMax(x);
        double max = x.Max();
        var p = new double[x.Length];
        for (int i = 0; i < x.Length; i++) p[i] = Math.Exp((x[i] - max) / _o.Temperature);
        var order = Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ThenBy(i => i).ToArray();
        int keep = _o.TopK > 0 ? Math.Min(_o.TopK, order.Length) : order.Length;
        double total = 0;
        for (int r = 0; r < keep; r++) total += p[order[r]];
        if (_o.TopP < 1)
        {
            double acc = 0;
            for (int r = 0; r < keep; r++)
            {
                acc += p[order[r]] / total;
                if (acc >= _o.TopP) { keep = r + 1; break; }
            }
        }
        if (_o.MinP > 0)
        {
            double floor = _o.MinP * p[order[0]];
            while (keep > 1 && p[order[keep - 1]] < floor) keep--;
        }
        double sum = 0;
        for (int r = 0; r < keep; r++) sum += p[order[r]];
        double u = _rng.NextDouble() * sum;
        for (int r = 0; r < keep; r++)
        {
            u -= p[order[r]];
            if (u < 0) return order[r];
        }
        return order[keep - 1];
    }

    private static int ArgMax(double[] x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
