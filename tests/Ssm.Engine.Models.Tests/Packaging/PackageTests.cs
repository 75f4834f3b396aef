using System.Diagnostics;
using Ssm.Engine.Models.Generation;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Testing;
using Xunit;

namespace Ssm.Engine.Models.Tests.Packaging;

/// <summary>The library packages work from outside the repository: pack them into a folder, build a small host
/// program against that folder (plus the machine's usual NuGet sources) and stream tokens from a golden model.
/// </summary>
public class PackageTests
{
    private const string HostProgram = """
        using Ssm.Engine.Models.Generation;
        using Ssm.Engine.Models.Loading;

        var model = ModelLoader.Load(args[0]).Model;
        var options = new SamplingOptions { Temperature = 0, MaxTokens = 5 };
        foreach (int id in Generator.Generate(model, [1, 2, 3], options)) Console.Write($"{id} ");
        Console.WriteLine();
        """;

    [Fact]
    [Trait("Category", "Slow")]
    public void PackedLibraries_BuildAndRunAHostProgram()
    {
        string repo = RepoRoot();
        string work = Path.Combine(Path.GetTempPath(), $"ssm-pack-{Guid.NewGuid():N}");
        string feed = Path.Combine(work, "feed"), host = Path.Combine(work, "host");
        string version = $"0.0.0-t{DateTime.UtcNow:yyyyMMddHHmmss}";
        try
        {
            string[] projects = ["kernels/Ssm.Engine.Kernels", "src/Ssm.Engine", "src/Ssm.Engine.Models"];
            foreach (string proj in projects)
                Dotnet(repo, null, "pack", Path.Combine(repo, proj), "-c", "Release", "-o", feed,
                    $"-p:Version={version}");
            Directory.CreateDirectory(host);
            File.WriteAllText(Path.Combine(host, "Host.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Ssm.Engine.Models" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(host, "Program.cs"), HostProgram);
            // The feed folder plus the machine's usual sources; the global package folder serves as a source too
            // so the dependencies resolve offline, while the packages themselves go to a private folder.
            string globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            File.WriteAllText(Path.Combine(host, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="ssm-feed" value="{feed}" />
                    <add key="machine-cache" value="{globalPackages}" />
                  </packageSources>
                </configuration>
                """);
            string model = Path.Combine(GoldenPaths.Root, "models", "mamba1_l2_v256_tied", "hf");
            string output = Dotnet(host, Path.Combine(work, "packages"), "run", "-c", "Release", "--", model);
            var want = Generator.Generate(ModelLoader.Load(model).Model, [1, 2, 3],
                new SamplingOptions { Temperature = 0, MaxTokens = 5 });
            Assert.Equal(string.Join(' ', want) + " ", output.Trim('\n', '\r').Split('\n')[^1].TrimEnd('\r'));
        }
        finally
        {
            try { Directory.Delete(work, true); } catch (IOException) { }
        }
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Ssm.Engine.sln"))) return d.FullName;
        throw new InvalidOperationException("repository root (Ssm.Engine.sln) not found");
    }

    private static string Dotnet(string cwd, string? packages, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = cwd, RedirectStandardOutput = true,
            RedirectStandardError = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        if (packages is not null) psi.Environment["NUGET_PACKAGES"] = packages;
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"dotnet {string.Join(' ', args)} failed:\n{stdout}\n{err.Result}");
        return stdout;
    }
}
