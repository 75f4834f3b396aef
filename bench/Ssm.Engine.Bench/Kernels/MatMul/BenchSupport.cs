using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Ssm.Engine.Bench.Kernels.MatMul;

/// <summary>Adds a throughput column and drops the OpenBLAS benchmarks when the library is absent.</summary>
public sealed class MatMulBenchConfig : ManualConfig
{
    /// <summary>Benchmarks in this category call OpenBLAS.</summary>
    public const string OpenBlasCategory = "OpenBLAS";

    public MatMulBenchConfig()
    {
        AddColumn(new ThroughputColumn());
        AddFilter(new SimpleFilter(b => OpenBlas.IsAvailable || !b.Descriptor.HasCategory(OpenBlasCategory)));
        if (!OpenBlas.IsAvailable)
            Console.Error.WriteLine("libopenblas.so.0 not found: OpenBLAS comparison benchmarks are skipped.");
    }
}

/// <summary>GFLOP/s (2·M·N·K / mean) for GEMM cases, GB/s (weight bytes / mean) for GEMV cases.</summary>
public sealed class ThroughputColumn : IColumn
{
    public string Id => nameof(ThroughputColumn);
    public string ColumnName => "Throughput";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "GEMM: GFLOP/s = 2·M·N·K / mean; GEMV: GB/s = weight bytes / mean";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is null) return "-";
        double seconds = report.ResultStatistics.Mean * 1e-9;
        var instance = Activator.CreateInstance(benchmarkCase.Descriptor.Type) as IWork;
        if (instance is null) return "-";
        foreach (var p in benchmarkCase.Parameters.Items)
            benchmarkCase.Descriptor.Type.GetProperty(p.Name)?.SetValue(instance, p.Value);
        var (amount, unit) = instance.Work(benchmarkCase.Descriptor.WorkloadMethod.Name);
        return $"{amount / seconds / 1e9:F1} {unit}";
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        => GetValue(summary, benchmarkCase);

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
}

/// <summary>A benchmark class that can say how much work one call of a method does.</summary>
public interface IWork
{
    /// <summary>(flops or bytes of one call, "GFLOP/s" or "GB/s").</summary>
    (double Amount, string Unit) Work(string method);
}
