using Ssm.Engine.Autograd;
using Ssm.Engine.Kernels.Decode;
using Ssm.Engine.Kernels.MatMul;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Generation;

/// <summary>The fast decode path of a pure Mamba-1 <see cref="CausalLm"/> (no attention, no MLP): weights are
/// copied once into flat arrays (matrices kept in bfloat16 bits when asked, or by default when the model
/// holds bf16 weights), and each token runs GEMVs and fused conv/state kernels on the preallocated buffers of a
/// <see cref="DecodeState"/>, so a step allocates nothing when <see cref="Threads"/> is 1. Prompts are prefilled
/// with the model's whole-sequence path, one sequence per batch row, so rows never see each other's padding.
/// </summary>
public sealed class MambaDecoder
{
    private readonly CausalLm _model;
    private readonly Layer[] _layers;
    private readonly Matrix _head, _embedding;
    private readonly float[] _normF;

    /// <summary>Builds the decoder; throws <see cref="NotSupportedException"/> when <see cref="Supports"/> is
    /// false. <paramref name="bf16"/> null keeps the model's own matrix dtype.</summary>
    public MambaDecoder(CausalLm model, bool? bf16 = null, int threads = 0)
    {
        if (!Supports(model))
            throw new NotSupportedException(
                "[mamba_decoder] only stacks of Mamba-1 or of Mamba-2 mixers without MLP or attention");
        _model = model;
        Threads = threads;
        var c = model.Config;
        var p = model.NamedParameters().ToDictionary(t => t.Path, t => t.Value);
        bool half = bf16 ?? p.Values.Any(t => t.DType == DType.BFloat16);
        Bf16 = half;
        Kind = c.KindOf(0);
        DModel = c.DModel;
        DInner = c.DInner;
        State = c.Ssm.StateSize;
        DtRank = Kind == LayerKind.Mamba1 ? c.Ssm.DtRank ?? (c.DModel + 15) / 16 : 0;
        ConvWidth = c.Ssm.DConv;
        Heads = Kind == LayerKind.Mamba2 ? DInner / c.Ssm.HeadDim : 0;
        Groups = Kind == LayerKind.Mamba2 ? c.Ssm.NGroups : 0;
        ConvChannels = DInner + 2 * Groups * State;
        InProjWidth = Kind == LayerKind.Mamba2 ? DInner + ConvChannels + Heads : 2 * DInner;
        Vocab = c.PaddedVocabSize;
        Eps = c.NormEps;
        _embedding = new Matrix(p["backbone.embedding.weight"], half);
        _head = c.TieEmbeddings ? _embedding : new Matrix(p["lm_head.weight"], half);
        _normF = Vec(p["backbone.norm_f.weight"])!;
        _layers = new Layer[c.NLayer];
        for (int i = 0; i < c.NLayer; i++)
        {
            string m = $"backbone.layers.{i}.mixer.";
            var aLog = Vec(p[m + "A_log"])!;
            var a = new float[aLog.Length];
            for (int j = 0; j < a.Length; j++) a[j] = -MathF.Exp(aLog[j]);
            bool two = Kind == LayerKind.Mamba2;
            _layers[i] = new Layer(Vec(p[$"backbone.layers.{i}.norm.weight"])!,
                new Matrix(p[m + "in_proj.weight"], half), Vec(p.GetValueOrDefault(m + "in_proj.bias")),
                Vec(p[m + "conv1d.weight"])!, Vec(p.GetValueOrDefault(m + "conv1d.bias")),
                two ? null : new Matrix(p[m + "x_proj.weight"], half),
                two ? null : new Matrix(p[m + "dt_proj.weight"], half),
                Vec(p[two ? m + "dt_bias" : m + "dt_proj.bias"])!, a, Vec(p[m + "D"])!,
                two ? Vec(p[m + "norm.weight"]) : null,
                new Matrix(p[m + "out_proj.weight"], half), Vec(p.GetValueOrDefault(m + "out_proj.bias")));
        }
    }

    /// <summary>True when every layer is a selective Mamba-1 mixer, or every layer a Mamba-2 mixer, and there is
    /// no MLP (the time-invariant ablation keeps the tensor Step path).</summary>
    public static bool Supports(CausalLm model)
    {
        var c = model.Config;
        if (c.DIntermediate != 0 || c.NLayer == 0 || c.Ssm.Selectivity != SsmSelectivity.Selective) return false;
        var kind = c.KindOf(0);
        return kind is LayerKind.Mamba1 or LayerKind.Mamba2
               && Enumerable.Range(0, c.NLayer).All(i => c.KindOf(i) == kind);
    }

    /// <summary>The mixer kind of every layer.</summary>
    public LayerKind Kind { get; }

    /// <summary>The model's configuration.</summary>
    public ModelConfig Config => _model.Config;

    /// <summary>Threads of the GEMVs (0: all cores; 1: the calling thread only, allocation-free).</summary>
    public int Threads { get; set; }

    /// <summary>Whether matrices are held as bfloat16 bits.</summary>
    public bool Bf16 { get; }

    /// <summary>D, d_inner, N, R, K, V_pad and the norm epsilon.</summary>
    public int DModel { get; }
    /// <summary>d_inner.</summary>
    public int DInner { get; }
    /// <summary>N.</summary>
    public int State { get; }
    /// <summary>H (Mamba-2; 0 for Mamba-1).</summary>
    public int Heads { get; }
    /// <summary>G (Mamba-2; 0 for Mamba-1).</summary>
    public int Groups { get; }
    /// <summary>Channels of the conv window: d_inner (Mamba-1) or d_inner + 2·G·N (Mamba-2).</summary>
    public int ConvChannels { get; }
    /// <summary>Width of the in_proj output.</summary>
    public int InProjWidth { get; }
    /// <summary>R.</summary>
    public int DtRank { get; }
    /// <summary>K.</summary>
    public int ConvWidth { get; }
    /// <summary>V_pad: the width of a logits row.</summary>
    public int Vocab { get; }
    /// <summary>RMSNorm epsilon.</summary>
    public double Eps { get; }

    internal int LayerCount => _layers.Length;

    /// <summary>Zero state for <paramref name="batch"/> sequences.</summary>
    public DecodeState NewState(int batch = 1) => new(this, batch);

    /// <summary>Prefills <paramref name="prompt"/> into batch row <paramref name="row"/> of
    /// <paramref name="state"/> (replacing what the row held) with the whole-sequence path and leaves the logits of
    /// its last token in that row of <see cref="DecodeState.Logits"/>.</summary>
    public void Prefill(DecodeState state, int row, IReadOnlyList<int> prompt)
    {
        if (prompt.Count == 0) throw new ArgumentException("[mamba_decoder] the prompt is empty");
        if ((uint)row >= (uint)state.Batch)
            throw new ArgumentOutOfRangeException(nameof(row), $"[mamba_decoder] row {row} of batch {state.Batch}");
        var cache = _model.NewCache();
        Tensor logits;
        using (Tape.NoGrad())
        {
            var ids = Tensor.FromArray(prompt.Select(t => (long)t).ToArray(), 1, prompt.Count);
            logits = _model.Forward(ids, cache).Select(1, prompt.Count - 1).Select(0, 0);
        }
        logits.To(DType.Float32).Contiguous().ToArray().AsSpan().CopyTo(state.LogitsRow(row));
        for (int i = 0; i < _layers.Length; i++)
        {
            var lc = cache.Layers[i];
            lc.Conv!.To(DType.Float32).Contiguous().ToArray().AsSpan()
                .CopyTo(state.ConvRow(i, row));
            lc.Ssm!.To(DType.Float32).Contiguous().ToArray().AsSpan().CopyTo(state.SsmRow(i, row));
        }
        state.Positions[row] = prompt.Count;
    }

    /// <summary>Decodes one token per batch row (<paramref name="tokens"/>: (B)); the logits (B, V_pad) are left
    /// in <see cref="DecodeState.Logits"/> and returned.</summary>
    public ReadOnlySpan<float> Step(ReadOnlySpan<int> tokens, DecodeState state)
    {
        if (tokens.Length != state.Batch)
            throw new ArgumentException($"[mamba_decoder] tokens holds {tokens.Length} ids, batch is {state.Batch}");
        for (int r = 0; r < state.Batch; r++) StepRow(tokens[r], state, r);
        return state.Logits;
    }

    /// <summary>One token for a batch of one; returns its logits (V_pad).</summary>
    public ReadOnlySpan<float> Step(int token, DecodeState state)
    {
        StepRow(token, state, 0);
        return state.LogitsRow(0);
    }

    private void StepRow(int token, DecodeState st, int r)
    {
        if ((uint)token >= (uint)Vocab) throw new ArgumentOutOfRangeException(nameof(token), "[mamba_decoder] id");
        int d = DModel, di = DInner, n = State, rank = DtRank, k = ConvWidth, t = Threads;
        Span<float> hidden = st.Hidden, residual = st.Residual, normed = st.Normed, xz = st.Xz, dbc = st.Dbc;
        Span<float> dt = st.Dt, y = st.Y;
        _embedding.Row(token, hidden);
        for (int i = 0; i < _layers.Length; i++)
        {
            var L = _layers[i];
            if (Kind == LayerKind.Mamba2)
            {
                StepMamba2(L, i, st, r, i == 0);
                continue;
            }
            MambaStep.Cpu.AddNorm(hidden, residual, L.Norm, normed, Eps, i == 0);
            L.InProj.Apply(normed, xz, t, L.InBias);
            var x = xz[..di];
            var z = xz.Slice(di, di);
            MambaStep.Cpu.Conv(di, k, st.ConvRow(i, r), L.ConvW, L.ConvB, x);
            // x_proj and dt_proj are small (< 0.5 MB): a thread hand-off would cost more than it saves.
            L.XProj!.Apply(x, dbc, 1, null);
            L.DtProj!.Apply(dbc[..rank], dt, 1, null);
            MambaStep.Cpu.Ssm(di, n, st.SsmRow(i, r), L.A, x, dt, L.DtBias, L.D, dbc.Slice(rank, n),
                dbc.Slice(rank + n, n), z, y);
            L.OutProj.Apply(y, hidden, t, L.OutBias);
        }
        MambaStep.Cpu.AddNorm(hidden, residual, _normF, normed, Eps, false);
        _head.Apply(normed, st.LogitsRow(r), t, null);
        st.Positions[r]++;
    }

    // in_proj → [z | xBC | dt]; xBC = silu(conv(xBC)) = [x | B | C]; y = heads(x, dt, A, B, C, D);
    // y = rmsnorm_gated(y, z, group d_inner/G); out_proj(y). dt_limit is not applied in a step, as upstream.
    private void StepMamba2(Layer L, int i, DecodeState st, int r, bool first)
    {
        int di = DInner, gn = Groups * State, conv = ConvChannels, t = Threads;
        Span<float> xz = st.Xz, y = st.Y;
        MambaStep.Cpu.AddNorm(st.Hidden, st.Residual, L.Norm, st.Normed, Eps, first);
        L.InProj.Apply(st.Normed, xz, t, L.InBias);
        Span<float> z = xz[..di], xbc = xz.Slice(di, conv), dt = xz.Slice(di + conv, Heads);
        MambaStep.Cpu.Conv(conv, ConvWidth, st.ConvRow(i, r), L.ConvW, L.ConvB, xbc);
        MambaStep.Cpu.Heads(Heads, di / Heads, State, Groups, st.SsmRow(i, r), L.A, xbc[..di], dt, L.DtBias, L.D,
            xbc.Slice(di, gn), xbc.Slice(di + gn, gn), y);
        MambaStep.Cpu.GatedNorm(y, z, L.GateNorm, y, di / Groups, Eps);
        L.OutProj.Apply(y, st.Hidden, t, L.OutBias);
    }

    private static float[]? Vec(Tensor? t) => t?.To(DType.Float32).Contiguous().ToArray();

    // Mamba-1 uses XProj and DtProj (dt_bias = dt_proj.bias, A (D, N)); Mamba-2 uses GateNorm (A, dt_bias (H)).
    private sealed record Layer(float[] Norm, Matrix InProj, float[]? InBias, float[] ConvW, float[]? ConvB,
        Matrix? XProj, Matrix? DtProj, float[] DtBias, float[] A, float[] D, float[]? GateNorm, Matrix OutProj,
        float[]? OutBias);

    /// <summary>A row-major (N, K) matrix in fp32 or bf16 bits.</summary>
    private sealed class Matrix
    {
        private readonly float[]? _f;
        private readonly ushort[]? _h;

        public Matrix(Tensor w, bool bf16)
        {
            N = w.Shape[0];
            K = w.NumEl / Math.Max(N, 1);
            if (bf16) _h = w.To(DType.BFloat16).Contiguous().ToArray<ushort>();
            else _f = w.To(DType.Float32).Contiguous().ToArray();
        }

        public int N { get; }
        public int K { get; }

        public void Apply(ReadOnlySpan<float> x, Span<float> y, int threads, float[]? bias)
        {
            if (_h is not null) Gemm.Cpu.GemvBf16(_h, x[..K], y[..N], N, K, threads);
            else Gemm.Cpu.Gemv(_f, x[..K], y[..N], N, K, threads);
            if (bias is not null)
                for (int i = 0; i < N; i++) y[i] += bias[i];
        }

        public void Row(int i, Span<float> dst)
        {
            if (_h is not null)
                for (int j = 0; j < K; j++) dst[j] = Gemm.Cpu.Bf16ToSingle(_h[(long)i * K + j]);
            else _f.AsSpan(i * K, K).CopyTo(dst);
        }
    }
}
