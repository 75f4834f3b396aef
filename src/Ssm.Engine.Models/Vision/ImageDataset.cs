using Ssm.Engine.IO;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Vision;

/// <summary>Grey images with class labels held as bytes: image i is <c>Pixels[i·H·W .. (i+1)·H·W)</c>, row-major.
/// </summary>
public sealed class ImageDataset
{
    /// <summary>A dataset over <paramref name="pixels"/> (count·H·W bytes) and <paramref name="labels"/>
    /// (count bytes, each below <paramref name="classes"/>).</summary>
    public ImageDataset(byte[] pixels, byte[] labels, int height, int width, int classes)
    {
        if (height < 1 || width < 1 || pixels.Length != (long)labels.Length * height * width)
            throw new ArgumentException($"[image_dataset] {pixels.Length} pixel bytes are not {labels.Length} images " +
                $"of {height}×{width}");
        (Pixels, Labels, Height, Width, Classes) = (pixels, labels, height, width, classes);
    }

    /// <summary>Pixels, 0..255.</summary>
    public byte[] Pixels { get; }
    /// <summary>Labels.</summary>
    public byte[] Labels { get; }
    /// <summary>Image height.</summary>
    public int Height { get; }
    /// <summary>Image width.</summary>
    public int Width { get; }
    /// <summary>Number of classes.</summary>
    public int Classes { get; }
    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>The first <paramref name="count"/> images (a copy), for quick runs and tests.</summary>
    public ImageDataset Take(int count)
    {
        count = Math.Clamp(count, 0, Count);
        int hw = Height * Width;
        return new ImageDataset(Pixels[..(count * hw)], Labels[..count], Height, Width, Classes);
    }

    /// <summary>Mean and standard deviation of all pixels scaled to [0, 1].</summary>
    public (double Mean, double Std) PixelStatistics()
    {
        double s = 0, s2 = 0;
        foreach (byte b in Pixels)
        {
            double v = b / 255.0;
            s += v;
            s2 += v * v;
        }
        double n = Math.Max(1, Pixels.Length), mean = s / n;
        return (mean, Math.Sqrt(Math.Max(0, s2 / n - mean * mean)));
    }
}

/// <summary>The Fashion-MNIST files (zalandoresearch; Debian package <c>dataset-fashion-mnist</c> installs them in
/// <see cref="DefaultDirectory"/>): 60,000 training and 10,000 test 28×28 grey images in 10 classes, as gzipped
/// IDX files.</summary>
public static class FashionMnist
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> puts the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Number of classes.</summary>
    public const int Classes = 10;

    /// <summary>Class names in label order.</summary>
    public static readonly IReadOnlyList<string> ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>File names of a split: <c>train-…</c> or <c>t10k-…</c>.</summary>
    public static (string Images, string Labels) FileNames(bool train) => train
        ? ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
        : ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz");

    /// <summary>Loads the training or test split from <paramref name="directory"/>, checking that the image file
    /// is (N, H, W), the label file (N) with the same N, and every label below 10.</summary>
    public static ImageDataset Load(string directory, bool train)
    {
        var (imgName, lblName) = FileNames(train);
        string imgPath = Path.Combine(directory, imgName), lblPath = Path.Combine(directory, lblName);
        foreach (string p in new[] { imgPath, lblPath })
            if (!File.Exists(p))
                throw new FileNotFoundException(
                    $"[fashion_mnist] {p} does not exist (run scripts/fetch-fashion-mnist.sh or pass --data-dir)", p);
        var images = IdxFile.Read(imgPath, rank: 3);
        var labels = IdxFile.Read(lblPath, rank: 1);
        if (labels.Dims[0] != images.Dims[0])
            throw new IdxFormatException(lblPath, "dims[0]",
                $"{labels.Dims[0]} labels but {imgPath} holds {images.Dims[0]} images");
        for (int i = 0; i < labels.Data.Length; i++)
            if (labels.Data[i] >= Classes)
                throw new IdxFormatException(lblPath, $"data[{i}]", $"label {labels.Data[i]} is not below {Classes}");
        return new ImageDataset(images.Data, labels.Data, images.Dims[1], images.Dims[2], Classes);
    }
}
