namespace Ssm.Engine.Models.Vision;

/// <summary>The image-classifier families built by <see cref="VisionModels.Create"/>.</summary>
public enum VisionFamily
{
    /// <summary>Vision Mamba (hustvl/Vim): bidirectional Mamba over patch tokens with a middle class token.</summary>
    Vim,

    /// <summary>VMamba: VSS blocks (SS2D 4-direction cross-scan) in stages joined by patch merging.</summary>
    Vmamba,

    /// <summary>VSSD: blocks with the non-causal SSD mixer, in stages joined by strided convolutions.</summary>
    Vssd,

    /// <summary>MambaOut: Gated CNN blocks (no SSM), the no-SSM control.</summary>
    MambaOut,

    /// <summary>A small ViT (softmax attention) baseline.</summary>
    Vit,
}

/// <summary>Command-line names of <see cref="VisionFamily"/>.</summary>
public static class VisionFamilyNames
{
    /// <summary>Every family with its lower-case name.</summary>
    public static readonly IReadOnlyList<(VisionFamily Family, string Name)> All =
    [
        (VisionFamily.Vim, "vim"), (VisionFamily.Vmamba, "vmamba"), (VisionFamily.Vssd, "vssd"),
        (VisionFamily.MambaOut, "mambaout"), (VisionFamily.Vit, "vit"),
    ];

    /// <summary>The lower-case name of <paramref name="family"/>.</summary>
    public static string Name(VisionFamily family) => All.First(f => f.Family == family).Name;

    /// <summary>Parses a lower-case name; throws <see cref="ArgumentException"/> listing the names.</summary>
    public static VisionFamily Parse(string name) =>
        All.FirstOrDefault(f => f.Name == name.ToLowerInvariant()) is { Name: not null } hit ? hit.Family
            : throw new ArgumentException(
                $"unknown vision family '{name}' ({string.Join(", ", All.Select(f => f.Name))})");
}
