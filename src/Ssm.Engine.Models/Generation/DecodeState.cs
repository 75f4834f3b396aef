namespace Ssm.Engine.Models.Generation;

/// <summary>Recurrent state and scratch buffers of <see cref="MambaDecoder"/> for B sequences: per layer the
/// conv window (B, conv channels, K) and SSM state (B, d_inner, N) (Mamba-2: (B, H, P, N)), the logits
/// (B, V_pad), and per-token scratch
/// reused by every step (nothing is allocated while decoding).</summary>
public sealed class DecodeState
{
    private readonly float[][] _conv, _ssm;
    private readonly int _convRow, _ssmRow, _vocab;

    internal DecodeState(MambaDecoder m, int batch)
    {
        if (batch < 1) throw new ArgumentException($"[decode_state] batch must be positive, got {batch}");
        Batch = batch;
        _convRow = m.ConvChannels * m.ConvWidth;
        _ssmRow = m.DInner * m.State;
        _vocab = m.Vocab;
        _conv = [.. Enumerable.Range(0, m.LayerCount).Select(_ => new float[batch * _convRow])];
        _ssm = [.. Enumerable.Range(0, m.LayerCount).Select(_ => new float[batch * _ssmRow])];
        Logits = new float[batch * m.Vocab];
        Positions = new int[batch];
        Hidden = new float[m.DModel];
        Residual = new float[m.DModel];
        Normed = new float[m.DModel];
        Xz = new float[m.InProjWidth];
        Dbc = new float[m.DtRank + 2 * m.State];
        Dt = new float[m.DInner];
        Y = new float[m.DInner];
    }

    /// <summary>B.</summary>
    public int Batch { get; }

    /// <summary>Logits (B, V_pad) of the last step or prefill of each row.</summary>
    public float[] Logits { get; }

    /// <summary>Tokens processed so far per row.</summary>
    public int[] Positions { get; }

    /// <summary>Logits of one row.</summary>
    public Span<float> LogitsRow(int row) => Logits.AsSpan(row * _vocab, _vocab);

    /// <summary>Forgets everything in row <paramref name="row"/>.</summary>
    public void ResetRow(int row)
    {
        foreach (var c in _conv) c.AsSpan(row * _convRow, _convRow).Clear();
        foreach (var s in _ssm) s.AsSpan(row * _ssmRow, _ssmRow).Clear();
        LogitsRow(row).Clear();
        Positions[row] = 0;
    }

    internal Span<float> ConvRow(int layer, int row) => _conv[layer].AsSpan(row * _convRow, _convRow);
    internal Span<float> SsmRow(int layer, int row) => _ssm[layer].AsSpan(row * _ssmRow, _ssmRow);
    internal float[] Hidden { get; }
    internal float[] Residual { get; }
    internal float[] Normed { get; }
    internal float[] Xz { get; }
    internal float[] Dbc { get; }
    internal float[] Dt { get; }
    internal float[] Y { get; }
}
