using System.Text.Json;
using Ssm.Engine.Autograd;
using Ssm.Engine.Conformance.Families;
using Ssm.Engine.Devices;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Conformance.Models;

/// <summary>Model golden cases (FORMAT.md §5.3): loads the checkpoint format, then checks the full-sequence
/// logits, the residual stream, the per-layer states after the prompt, the teacher-forced step logits and the
/// greedy tokens. BF16 formats (those with a <c>tolerance.json</c>) compare only the tensors it lists, with its
/// tolerance. On an ILGPU device the parameters are moved there (BF16 widened to float32), every op of the forward
/// and decode paths runs on the device, and only the results are copied back to the host to be compared.</summary>
public sealed class ModelConformance : IModelConformance
{
    /// <inheritdoc/>
    public bool Supports(DeviceSpec device) => device.Kind == DeviceKind.Cpu || FamilyDevices.IsGpuAvailable(device);

    /// <inheritdoc/>
    public CaseOutcome Run(string modelDir, string format, string goldenPath, DeviceSpec device)
    {
        string dir = Path.Combine(modelDir, format);
        using var golden = GoldenCase.Open(goldenPath);
        var reduced = ReducedCheck.TryRead(dir);
        CausalLm model;
        try { model = ModelLoader.Load(dir, new LoadOptions(KeepBFloat16: true)).Model.To(device); }
        catch (Exception e) when (e is NotSupportedException or ModelConfigReadException or CheckpointException
                                      or IOException or InvalidDataException)
        {
            return CaseOutcome.Error(e.Message);
        }
        using var _ = Tape.NoGrad();
        var tol = reduced?.Tolerance ?? golden.OutTolerance;
        var results = new List<TensorResult>();
        var ids = Ids(golden, "in.input_ids");
        var cache = model.NewCache();
        var stream = new List<Tensor>();
        var logits = model.Forward(ids, cache, stream);
        Add(results, golden, "out.logits", logits, tol, reduced);
        if (reduced is null) CheckStates(results, golden, model, cache, stream, tol);

        var gen = Ids(golden, "out.gen_tokens");
        int n = gen.Shape[1], lp = ids.Shape[1];
        var steps = new Tensor[n];
        for (int k = 0; k < n; k++) steps[k] = model.Step(gen.Select(1, k).Contiguous(), cache);
        var stepLogits = F.Stack(steps, 1).To(DeviceSpec.Cpu);
        Add(results, golden, "out.step_logits", stepLogits, tol, reduced);
        if (reduced is null || reduced.TokensMustMatch)
        {
            var last = logits.Select(1, lp - 1).To(DeviceSpec.Cpu);
            var mine = F.Concat([F.Argmax(last, -1).Unsqueeze(1),
                F.Argmax(stepLogits.Narrow(1, 0, n - 1), -1)], 1);
            long[] want = gen.Contiguous().ToArray<long>(), got = mine.To(DType.Int64).Contiguous().ToArray<long>();
            int diff = want.Zip(got).Count(p => p.First != p.Second);
            results.Add(new TensorResult("out.gen_tokens", diff, 0));
        }
        if (!TorchTwinCheck(results, golden, dir, ids, tol, reduced, device, out string? error))
            return CaseOutcome.Error(error!);
        return CaseOutcome.FromTensors(results);
    }

    /// <summary>A native directory that holds <c>pytorch_model.bin</c> beside <c>model.safetensors</c> is two
    /// checkpoint files: the PyTorch one is loaded too and held to the same logits (reported as
    /// <c>pytorch_model.bin:out.logits</c>).</summary>
    private static bool TorchTwinCheck(List<TensorResult> results, GoldenCase golden, string dir, Tensor ids,
        Tolerance tol, ReducedCheck? reduced, DeviceSpec device, out string? error)
    {
        error = null;
        string bin = Path.Combine(dir, CheckpointFiles.TorchBin);
        if (!File.Exists(bin) || !File.Exists(Path.Combine(dir, CheckpointFiles.Safetensors))) return true;
        try
        {
            var (config, _) = ConfigReader.ReadFile(Path.Combine(dir, "config.json"), []);
            var model = new CausalLm(config);
            using (var source = CheckpointFiles.OpenTorch(bin))
                ModelLoader.LoadWeights(model, source, new LoadOptions(KeepBFloat16: true));
            var logits = model.To(device).Forward(ids, model.NewCache(), null).To(DeviceSpec.Cpu);
            if (golden.Has("out.logits") && (reduced is null || reduced.Compare.Contains("out.logits")))
            {
                var mine = new HostArray(logits.Shape, logits.To(DType.Float32).Contiguous().ToArray());
                var r = TensorComparison.Compare("out.logits", mine, golden.Get("out.logits"), tol);
                results.Add(r with { Name = $"{CheckpointFiles.TorchBin}:{r.Name}" });
            }
            return true;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or CheckpointException
                                      or ModelConfigReadException)
        {
            error = e.Message;
            return false;
        }
    }

    private static void CheckStates(List<TensorResult> results, GoldenCase golden, CausalLm model,
        InferenceCache cache, List<Tensor> stream, Tolerance tol)
    {
        for (int i = 0; i < model.Config.NLayer; i++)
        {
            var c = cache.Layers[i];
            string p = $"out.state.layers.{i}.";
            if (c.Kind == LayerKind.Attention)
            {
                Add(results, golden, p + "k", c.Key!, tol, null);
                Add(results, golden, p + "v", c.Value!, tol, null);
            }
            else
            {
                Add(results, golden, p + "conv", c.Conv!, tol, null);
                Add(results, golden, p + "ssm", c.Ssm!, tol, null);
            }
        }
        Add(results, golden, "out.hidden.embed", stream[0], tol, null);
        for (int i = 0; i < model.Config.NLayer; i++)
            Add(results, golden, $"out.hidden.block.{i}", stream[i + 1], tol, null);
        Add(results, golden, "out.hidden.final_norm", stream[^1], tol, null);
    }

    private static void Add(List<TensorResult> results, GoldenCase golden, string name, Tensor got, Tolerance tol,
        ReducedCheck? reduced)
    {
        if (!golden.Has(name) || (reduced is not null && !reduced.Compare.Contains(name))) return;
        var host = got.To(DeviceSpec.Cpu);
        var mine = new HostArray(host.Shape, host.To(DType.Float32).Contiguous().ToArray());
        results.Add(TensorComparison.Compare(name, mine, golden.Get(name), tol));
    }

    private static Tensor Ids(GoldenCase golden, string name)
    {
        var e = golden.File.GetEntry(name);
        return Tensor.FromArray(golden.File.ReadInt64(name), e.Shape);
    }

    /// <summary>A BF16 format's <c>tolerance.json</c>: which tensors to compare and how closely.</summary>
    private sealed record ReducedCheck(string[] Compare, Tolerance Tolerance, bool TokensMustMatch)
    {
        public static ReducedCheck? TryRead(string dir)
        {
            string path = Path.Combine(dir, "tolerance.json");
            if (!File.Exists(path)) return null;
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            var o = root.GetProperty("tolerance").GetProperty("out");
            return new ReducedCheck(
                [.. root.GetProperty("compare").EnumerateArray().Select(e => e.GetString()!)],
                new Tolerance(o.GetProperty("atol").GetDouble(), o.GetProperty("rtol").GetDouble()),
                root.TryGetProperty("greedy_tokens_must_match", out var g) && g.ValueKind == JsonValueKind.True);
        }
    }
}
