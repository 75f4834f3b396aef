using System.Text.Json;
using Ssm.Engine.Devices;

namespace Ssm.Engine.Conformance.Tests.Runner;

/// <summary>y = 2x, grad.x = 2·grad_in.y, with knobs to misbehave.</summary>
internal sealed class FakeFamily(string family = "scale") : IOpFamily
{
    public string Family => family;
    public IReadOnlyList<string> Algorithms { get; init; } = [];
    public float OutError { get; init; }
    public bool OmitGrad { get; init; }
    public bool ProduceNaN { get; init; }
    public Exception? Throw { get; init; }
    public bool CpuOnly { get; init; } = true;
    public List<(string Case, string? Algorithm, DeviceSpec Device)> Calls { get; } = [];

    public bool Supports(DeviceSpec device) => !CpuOnly || device.Kind == DeviceKind.Cpu;

    public IReadOnlyDictionary<string, HostArray> Run(GoldenCase golden, string? algorithm, DeviceSpec device)
    {
        Calls.Add((golden.Case, algorithm, device));
        if (Throw != null) throw Throw;
        var x = golden.Get("in.x");
        var gin = golden.Get("grad_in.y");
        var y = x.Data.Select(v => 2 * v + OutError).ToArray();
        if (ProduceNaN) y[^1] = float.NaN;
        var result = new Dictionary<string, HostArray> { ["out.y"] = new(x.Shape, y) };
        if (!OmitGrad) result["grad.x"] = new HostArray(x.Shape, gin.Data.Select(g => 2 * g).ToArray());
        return result;
    }
}

internal sealed class FakeModels : IModelConformance
{
    public List<(string Dir, string Format, string Golden)> Calls { get; } = [];

    public CaseOutcome Run(string modelDir, string format, string goldenPath, DeviceSpec device)
    {
        Calls.Add((modelDir, format, goldenPath));
        return CaseOutcome.FromTensors([new TensorResult("out.logits", format == "hf_bf16" ? 1 : 0, 0.5)]);
    }
}

internal sealed class FakeTokenizer : ITokenizerConformance
{
    public List<string> Calls { get; } = [];

    public CaseOutcome RunEncodeCase(string tokenizerJsonPath, JsonElement caseEntry)
    {
        Calls.Add("encode:" + caseEntry.GetProperty("name").GetString());
        return CaseOutcome.FromTensors([new TensorResult("ids", 0, 0)]);
    }

    public CaseOutcome RunDecodeCase(string tokenizerJsonPath, JsonElement caseEntry)
    {
        Calls.Add("decode:" + caseEntry.GetProperty("name").GetString());
        return CaseOutcome.Error("text differs");
    }
}
