using System.Text.Json;
using System.Text.Json.Serialization;
using Ssm.Engine.IO;
using Ssm.Engine.Models.Vision;

namespace Ssm.Engine.Models.Training;

/// <summary>Settings of an image-classification run (<c>vision.json</c> in the run directory).</summary>
public sealed record VisionRunOptions
{
    /// <summary>File name inside the run directory.</summary>
    public const string FileName = "vision.json";

    /// <summary>The model.</summary>
    public VisionModelConfig Model { get; init; } = VisionModelConfig.Small(VisionFamily.Vmamba);
    /// <summary>Dataset name (only <c>fashion-mnist</c>).</summary>
    public string Dataset { get; init; } = "fashion-mnist";
    /// <summary>Directory of the dataset files.</summary>
    public string DataDir { get; init; } = FashionMnist.DefaultDirectory;
    /// <summary>Passes over the training set.</summary>
    public int Epochs { get; init; } = 3;
    /// <summary>Images per update.</summary>
    public int Batch { get; init; } = 64;
    /// <summary>Peak learning rate (AdamW, warmup then cosine to 1 %).</summary>
    public double LearningRate { get; init; } = 2e-3;
    /// <summary>AdamW weight decay.</summary>
    public double WeightDecay { get; init; } = 0.05;
    /// <summary>Warmup updates.</summary>
    public int Warmup { get; init; } = 200;
    /// <summary>Label smoothing of the cross-entropy.</summary>
    public double LabelSmoothing { get; init; } = 0.1;
    /// <summary>Random shift (pixels) and flip augmentation; 0 shift and no flip when false.</summary>
    public bool Augment { get; init; } = true;
    /// <summary>Nearest-neighbour upsampling factor per side (1 = native 28×28; 2 and 4 give 4× and 16× the
    /// tokens); the model's image size must be 28 × this.</summary>
    public int Upsample { get; init; } = 1;
    /// <summary>Global gradient-norm clip.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Pixel mean after scaling to [0, 1] (Fashion-MNIST training set: 0.2860).</summary>
    public double PixelMean { get; init; } = 0.2860;
    /// <summary>Pixel standard deviation after scaling to [0, 1] (Fashion-MNIST training set: 0.3530).</summary>
    public double PixelStd { get; init; } = 0.3530;
    /// <summary>Seed of the initialisation, data order and augmentation.</summary>
    public ulong Seed { get; init; }
    /// <summary>Use only the first this many training images (0 = all).</summary>
    public int TrainLimit { get; init; }
    /// <summary>Evaluate on only the first this many test images (0 = all).</summary>
    public int TestLimit { get; init; }

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        Model.Validate();
        if (Dataset != "fashion-mnist")
            throw new ArgumentException($"[vision_run] dataset '{Dataset}' is not supported (fashion-mnist)");
        if (Epochs < 1 || Batch < 1 || LearningRate <= 0 || Warmup < 0 || TrainLimit < 0 || TestLimit < 0)
            throw new ArgumentException($"[vision_run] epochs {Epochs}, batch {Batch}, lr {LearningRate}, warmup " +
                $"{Warmup}, limits {TrainLimit}/{TestLimit} must be positive (limits, warmup ≥ 0)");
        if (Upsample < 1)
            throw new ArgumentException($"[vision_run] upsample {Upsample} must be at least 1");
        if (LabelSmoothing is < 0 or >= 1)
            throw new ArgumentException($"[vision_run] label smoothing {LabelSmoothing} must be in [0, 1)");
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Writes <c>vision.json</c> atomically.</summary>
    public void Save(string dir) => AtomicFile.WriteAllText(Path.Combine(dir, FileName), ToJson());

    /// <summary>The settings as JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads <c>vision.json</c> from <paramref name="dir"/>.</summary>
    public static VisionRunOptions Load(string dir)
    {
        string path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"[vision_run] {path} does not exist", path);
        try
        {
            var o = JsonSerializer.Deserialize<VisionRunOptions>(File.ReadAllText(path), Json)
                ?? throw new InvalidDataException($"[vision_run] {path} is empty");
            o.Validate();
            return o;
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new InvalidDataException($"[vision_run] {path}: {e.Message}", e);
        }
    }

    /// <summary>True when both describe the same run.</summary>
    public bool SameAs(VisionRunOptions other) => ToJson() == other.ToJson();
}
