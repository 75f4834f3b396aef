using ILGPU;
using Ssm.Engine.Kernels.Gpu;

namespace Ssm.Engine.Kernels.Tests.Gpu;

/// <summary>One device-less compiler for the whole class (its first PTX compile costs ~0.3 s).</summary>
public sealed class GpuCodegenFixture : IDisposable
{
    public GpuCodegen Codegen { get; } = new();

    public void Dispose() => Codegen.Dispose();
}

public sealed class GpuCodegenTests(GpuCodegenFixture fixture) : IClassFixture<GpuCodegenFixture>
{
    private static readonly GpuCodegenTarget[] Targets = Enum.GetValues<GpuCodegenTarget>();

    /// <summary>Every registered entry point × every target: kernels added later are covered automatically.</summary>
    public static TheoryData<string, GpuCodegenTarget> EntryPointsByTarget
    {
        get
        {
            var data = new TheoryData<string, GpuCodegenTarget>();
            foreach (GpuEntryPoint entry in GpuKernels.EntryPoints)
            foreach (GpuCodegenTarget target in Targets)
                data.Add(entry.Name, target);
            return data;
        }
    }

    [Theory, MemberData(nameof(EntryPointsByTarget))]
    public void Compile_ProducesKernelText_ForEveryEntryPointAndTarget(string name, GpuCodegenTarget target)
    {
        GpuEntryPoint entry = GpuKernels.EntryPoints.Single(e => e.Name == name);
        string text = fixture.Codegen.Compile(entry, target);
        AssertKernelText(text, target);
    }

    [Fact]
    public void EntryPoints_IncludeTheFirstKernels_WithGenericOnesPerOperator()
    {
        var names = GpuKernels.EntryPoints.Select(e => e.Name).ToHashSet();
        Assert.Contains("Gemm.Gpu.SgemmKernel", names);
        Assert.Contains("Gemm.Gpu.SgemvKernel", names);
        foreach (string op in new[] { "ExpOperator", "SigmoidOperator", "SiluOperator", "SoftplusOperator" })
            Assert.Contains($"Elementwise.Gpu.MapKernel<{op}>", names);
        Assert.Contains("Elementwise.Gpu.ZipKernel<AddOperator>", names);
        Assert.Contains("Elementwise.Gpu.ReduceRowsKernel<MaxReduction>", names);
        Assert.True(GpuKernels.EntryPoints.Single(e => e.Name == "Gemm.Gpu.SgemmKernel").ExplicitlyGrouped);
        Assert.False(GpuKernels.EntryPoints.Single(e => e.Name == "Gemm.Gpu.SgemvKernel").ExplicitlyGrouped);
    }

    [Fact]
    public void Discover_InstantiatesGenericKernels_OverEveryStructSatisfyingTheConstraint()
    {
        var names = GpuKernels.Discover(typeof(GpuCodegenTests).Assembly).Select(e => e.Name).ToList();
        Assert.Contains("GpuCodegenTests.ScaleKernel<Halve>", names);
        Assert.Contains("GpuCodegenTests.ScaleKernel<Twice>", names);
        Assert.DoesNotContain(names, n => n.Contains("ScaleKernel<Int32>"));
    }

    [Fact]
    public void Compile_RejectsRawWarpShuffles_ForNonIntelOpenCL()
    {
        // The CPU accelerator runs this kernel happily; the codegen check is what catches it.
        var method = typeof(GpuCodegenTests).GetMethod(nameof(ShuffleKernel),
            System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic)!;
        AssertKernelText(fixture.Codegen.Compile(method, GpuCodegenTarget.PtxSm80), GpuCodegenTarget.PtxSm80);
        Assert.ThrowsAny<Exception>(() => fixture.Codegen.Compile(method, GpuCodegenTarget.OpenClGeneric));
    }

    private static void AssertKernelText(string text, GpuCodegenTarget target)
    {
        Assert.False(string.IsNullOrWhiteSpace(text));
        switch (target)
        {
            case GpuCodegenTarget.PtxSm80:
                Assert.Contains(".entry", text);
                Assert.Contains(".version 7.0", text);
                Assert.Contains(".target sm_80", text);
                break;
            case GpuCodegenTarget.PtxSm90:
                // ILGPU 1.5.3 keeps ".target sm_80" for an sm_90 backend; the ISA is what differs. The driver
                // JIT-compiles that PTX for Hopper.
                Assert.Contains(".entry", text);
                Assert.Contains(".version 7.8", text);
                Assert.Contains(".target sm_", text);
                break;
            default:
                Assert.Contains("kernel void", text);
                break;
        }
    }

    public interface IScale
    {
        float Apply(float x);
    }

    public readonly struct Halve : IScale
    {
        public float Apply(float x) => 0.5f * x;
    }

    public readonly struct Twice : IScale
    {
        public float Apply(float x) => 2f * x;
    }

    [GpuKernel]
    internal static void ScaleKernel<TOp>(Index1D i, ArrayView<float> x) where TOp : struct, IScale
        => x[i] = default(TOp).Apply(x[i]);

    [GpuKernel]
    internal static void ShuffleKernel(Index1D i, ArrayView<float> x) => x[i] = Warp.ShuffleDown(x[i], 1);
}
