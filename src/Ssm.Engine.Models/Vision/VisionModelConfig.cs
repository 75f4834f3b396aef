using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ssm.Engine.Models.Vision;

/// <summary>Size of a small image classifier of any <see cref="VisionFamily"/>. Hierarchical families (VMamba,
/// VSSD, MambaOut) use one stage per entry of <see cref="Dims"/> / <see cref="Depths"/>; the isotropic ones (Vim,
/// ViT) use <c>Dims[0]</c> and the sum of <see cref="Depths"/>.</summary>
public sealed record VisionModelConfig
{
    /// <summary>The family.</summary>
    public VisionFamily Family { get; init; }
    /// <summary>Input side S (square images).</summary>
    public int ImageSize { get; init; } = 28;
    /// <summary>Input channels.</summary>
    public int Channels { get; init; } = 1;
    /// <summary>Classes.</summary>
    public int NumClasses { get; init; } = 10;
    /// <summary>Patch size (Vim, ViT) or stem downsampling factor, 2 or 4 (hierarchical families).</summary>
    public int PatchSize { get; init; } = 4;
    /// <summary>Channels per stage.</summary>
    public int[] Dims { get; init; } = [32, 64];
    /// <summary>Blocks per stage.</summary>
    public int[] Depths { get; init; } = [2, 2];
    /// <summary>SSM state size N.</summary>
    public int DState { get; init; } = 4;
    /// <summary>SSM inner width ratio E / d (Vim and VSSD: the integer expand).</summary>
    public double SsmRatio { get; init; } = 2;
    /// <summary>MLP hidden ratio (0 = no MLP; MambaOut: the gated expansion).</summary>
    public double MlpRatio { get; init; } = 2;
    /// <summary>Heads of the first stage (VSSD doubles per stage; ViT uses it throughout).</summary>
    public int Heads { get; init; } = 2;

    /// <summary>The small default of a family for 28×28 grey images.</summary>
    public static VisionModelConfig Small(VisionFamily family) => family switch
    {
        VisionFamily.Vim => new() { Family = family, Dims = [64], Depths = [4], DState = 8, MlpRatio = 0 },
        VisionFamily.Vit => new() { Family = family, Dims = [64], Depths = [4], Heads = 4 },
        VisionFamily.MambaOut => new() { Family = family, MlpRatio = 8.0 / 3 },
        _ => new() { Family = family },
    };

    /// <summary>Checks the sizes; throws <see cref="ArgumentException"/> naming the bad field.</summary>
    public void Validate()
    {
        if (Dims.Length == 0 || Dims.Length != Depths.Length || Dims.Any(d => d < 1) || Depths.Any(d => d < 1))
            throw new ArgumentException("[vision_config] dims and depths must be non-empty, positive and as long");
        if (ImageSize < PatchSize || PatchSize < 1 || Channels < 1 || NumClasses < 2 || DState < 1 || Heads < 1)
            throw new ArgumentException($"[vision_config] image {ImageSize}, patch {PatchSize}, channels {Channels}, " +
                $"classes {NumClasses}, d_state {DState}, heads {Heads} are inconsistent");
        bool hierarchical = Family is VisionFamily.Vmamba or VisionFamily.Vssd or VisionFamily.MambaOut;
        if (hierarchical && PatchSize is not (2 or 4))
            throw new ArgumentException($"[vision_config] {Family} stem downsampling must be 2 or 4, got {PatchSize}");
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>The config as JSON (snake_case keys).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses <see cref="ToJson"/> output; throws <see cref="InvalidDataException"/> naming
    /// <paramref name="source"/>.</summary>
    public static VisionModelConfig FromJson(string json, string source = "config")
    {
        try
        {
            var c = JsonSerializer.Deserialize<VisionModelConfig>(json, Json)
                ?? throw new InvalidDataException($"[vision_config] {source} is empty");
            c.Validate();
            return c;
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new InvalidDataException($"[vision_config] {source}: {e.Message}", e);
        }
    }

    /// <summary>True when both configs describe the same model.</summary>
    public bool SameAs(VisionModelConfig other) => ToJson() == other.ToJson();
}
