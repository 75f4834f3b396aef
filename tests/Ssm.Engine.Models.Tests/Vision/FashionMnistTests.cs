using Ssm.Engine.IO;
using Ssm.Engine.Models.Vision;

namespace Ssm.Engine.Models.Tests.Vision;

public class FashionMnistTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fmnist-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Writes a split of <paramref name="n"/> images of side <paramref name="side"/> whose pixels encode
    /// their index and labels i mod 10.</summary>
    internal static void WriteSplit(string dir, bool train, int n, int side = 28, int? labelCount = null,
        byte? badLabel = null)
    {
        var (img, lbl) = FashionMnist.FileNames(train);
        var pixels = new byte[n * side * side];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i / (side * side) * 31 + i % side);
        var labels = Enumerable.Range(0, labelCount ?? n).Select(i => (byte)(i % 10)).ToArray();
        if (badLabel is { } b) labels[^1] = b;
        IdxFile.Write(Path.Combine(dir, img), new IdxArray([n, side, side], pixels));
        IdxFile.Write(Path.Combine(dir, lbl), new IdxArray([labels.Length], labels));
    }

    [Fact]
    public void Load_GeneratedSplit_ReadsImagesAndLabels()
    {
        WriteSplit(_dir, train: false, n: 12);
        var d = FashionMnist.Load(_dir, train: false);
        Assert.Equal((12, 28, 28, 10), (d.Count, d.Height, d.Width, d.Classes));
        Assert.Equal((byte)7, d.Labels[7]);
        Assert.Equal((byte)(5 * 31 + 3), d.Pixels[5 * 784 + 3]);
    }

    [Fact]
    public void Load_CountMismatch_NamesLabelFile()
    {
        WriteSplit(_dir, train: true, n: 6, labelCount: 5);
        var e = Assert.Throws<IdxFormatException>(() => FashionMnist.Load(_dir, train: true));
        Assert.Equal("dims[0]", e.Field);
        Assert.Contains("train-labels-idx1-ubyte.gz", e.Message);
        Assert.Contains("5 labels", e.Message);
    }

    [Fact]
    public void Load_LabelOutOfRange_NamesIndex()
    {
        WriteSplit(_dir, train: true, n: 4, badLabel: 10);
        var e = Assert.Throws<IdxFormatException>(() => FashionMnist.Load(_dir, train: true));
        Assert.Equal("data[3]", e.Field);
    }

    [Fact]
    public void Load_ImagesWithWrongRank_NamesMagic()
    {
        var (img, lbl) = FashionMnist.FileNames(true);
        IdxFile.Write(Path.Combine(_dir, img), new IdxArray([4, 9], new byte[36]));
        IdxFile.Write(Path.Combine(_dir, lbl), new IdxArray([4], new byte[4]));
        var e = Assert.Throws<IdxFormatException>(() => FashionMnist.Load(_dir, train: true));
        Assert.Equal("magic", e.Field);
        Assert.Contains(img, e.Message);
    }

    [Fact]
    public void Load_MissingDirectory_PointsToFetchScript()
    {
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(Path.Combine(_dir, "none"), true));
        Assert.Contains("fetch-fashion-mnist.sh", e.Message);
    }

    [Fact]
    public void Take_KeepsPrefix()
    {
        WriteSplit(_dir, train: true, n: 10);
        var d = FashionMnist.Load(_dir, train: true).Take(3);
        Assert.Equal(3, d.Count);
        Assert.Equal(3 * 784, d.Pixels.Length);
    }
}
