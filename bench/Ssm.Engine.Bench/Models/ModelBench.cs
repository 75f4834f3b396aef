using BenchmarkDotNet.Attributes;
using Ssm.Engine.Autograd;
using Ssm.Engine.Models.Generation;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Bench.Models;

/// <summary>Batch-1 decode of the 130m-shaped presets (random weights) through the allocation-free decoder, fp32 and
/// bf16 weights, 2 threads. One operation is one token. Before timing, the decoder's logits after a short prompt are
/// checked against the model's own tensor Step path.</summary>
public class DecodeBench
{
    private MambaDecoder _decoder = null!;
    private DecodeState _state = null!;
    private int _token = 1;

    [Params("mamba-130m", "mamba2-130m")]
    public string Model { get; set; } = "mamba-130m";

    [Params(false, true)]
    public bool Bf16 { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var model = new CausalLm(ModelPresets.Find(Model)!, seed: 1);
        _decoder = new MambaDecoder(model, Bf16, threads: 2);
        _state = _decoder.NewState();
        int[] prompt = [5, 17, 3];
        _decoder.Prefill(_state, 0, prompt);
        var got = _decoder.Step(9, _state).ToArray();
        var cache = model.NewCache();
        float[] want;
        using (Tape.NoGrad())
        {
            model.Forward(Tensor.FromArray(prompt.Select(t => (long)t).ToArray(), 1, prompt.Length), cache);
            want = model.Step(Tensor.FromArray(new long[] { 9 }, 1), cache).To(DType.Float32).Contiguous().ToArray();
        }
        double scale = want.Max(Math.Abs), err = want.Zip(got, (a, b) => Math.Abs(a - b)).Max();
        if (err > (Bf16 ? 5e-2 : 1e-3) * scale)
            throw new InvalidOperationException($"[decode_bench] decoder logits differ from Step by {err:g3}");
    }

    [Benchmark]
    public float Step()
    {
        var logits = _decoder.Step(_token, _state);
        _token = (_token * 31 + 7) % 50000;
        return logits[0];
    }
}

/// <summary>Prefill of L = 2048 tokens (whole-sequence forward, no autograd) of the 130m-shaped presets, fp32 weights.
/// One operation is the whole prompt.</summary>
public class PrefillBench
{
    private CausalLm _model = null!;
    private Tensor _ids = null!;

    [Params("mamba-130m", "mamba2-130m")]
    public string Model { get; set; } = "mamba-130m";

    [GlobalSetup]
    public void Setup()
    {
        _model = new CausalLm(ModelPresets.Find(Model)!, seed: 1);
        _ids = Tensor.FromArray(Enumerable.Range(0, 2048).Select(i => (long)((i * 7919 + 13) % 50000)).ToArray(), 1,
            2048);
    }

    [Benchmark]
    public Tensor Forward()
    {
        using (Tape.NoGrad()) return _model.Forward(_ids);
    }
}
