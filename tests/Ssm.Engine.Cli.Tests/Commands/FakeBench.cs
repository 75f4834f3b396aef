using Ssm.Engine.Cli.Bench;
using Ssm.Engine.Devices;

namespace Ssm.Engine.Cli.Tests.Commands;

/// <summary>A benchmark whose Run sums an array (a few microseconds) and records what it was given.</summary>
internal class FakeBench(string name = "sum") : IKernelBench
{
    private float[] _data = [];
    public string Name => name;
    public IReadOnlyDictionary<string, int> DefaultShape { get; } =
        new Dictionary<string, int> { ["L"] = 64, ["D"] = 4 };
    public string? Mismatch { get; init; }
    public IReadOnlyDictionary<string, int>? SetupShape { get; private set; }
    public int SetupThreads { get; private set; }
    public int Runs { get; private set; }
    public float Sink { get; private set; }
    public string? Validate() => Mismatch;

    public virtual void Setup(IReadOnlyDictionary<string, int> shape, int threads)
    {
        if (shape["L"] > 1_000_000) throw new ArgumentException("[sum] L too large");
        SetupShape = shape;
        SetupThreads = threads;
        _data = Enumerable.Range(0, shape["L"] * shape["D"]).Select(i => (float)i).ToArray();
    }

    public void Run()
    {
        Runs++;
        float s = 0;
        foreach (float v in _data) s += v;
        Sink = s;
    }

    public double Flops => _data.Length;
    public double Bytes => 4.0 * _data.Length;
    public double? BoundMs { get; init; } = 0.001;
    public string Options => "plain";
}

internal sealed class FakeDeviceBench() : FakeBench("devsum"), IDeviceKernelBench
{
    public DeviceSpec? SetupDevice { get; private set; }
    public bool Supports(DeviceSpec device) => device.Kind == DeviceKind.IlgpuCpu;

    public void Setup(IReadOnlyDictionary<string, int> shape, int threads, DeviceSpec device)
    {
        SetupDevice = device;
        Setup(shape, threads);
    }
}
