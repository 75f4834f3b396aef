using Ssm.Engine.Tensors;
using Ssm.Engine.Training;

namespace Ssm.Engine.Models.Vision;

/// <summary>Turns dataset images into normalised float batches: x = (p/255 − mean)/std, optionally augmented
/// (random shift of up to <see cref="MaxShift"/> pixels with zero fill, the padded random crop, and a horizontal
/// flip with probability 1/2) and upsampled by nearest neighbour (<see cref="Upsample"/>, to test longer token
/// sequences).</summary>
public sealed class ImageBatcher(ImageDataset data, double mean, double std, int upsample = 1, int maxShift = 2)
{
    /// <summary>The dataset.</summary>
    public ImageDataset Data { get; } = data;

    /// <summary>Integer upsampling factor per side.</summary>
    public int Upsample { get; } = upsample >= 1 ? upsample
        : throw new ArgumentException($"[image_batcher] upsample {upsample} must be at least 1");

    /// <summary>Largest shift of the random crop.</summary>
    public int MaxShift { get; } = maxShift;

    /// <summary>Output side height.</summary>
    public int Height => Data.Height * Upsample;

    /// <summary>Output side width.</summary>
    public int Width => Data.Width * Upsample;

    /// <summary>Images <paramref name="indices"/> → (B, 1, H·u, W·u) float32; augmented when <paramref name="rng"/>
    /// is given (two draws per image, in index order).</summary>
    public Tensor Images(ReadOnlySpan<int> indices, PhiloxRandom? rng = null)
    {
        int h = Data.Height, w = Data.Width, u = Upsample, oh = h * u, ow = w * u, b = indices.Length;
        var x = new float[b * oh * ow];
        float scale = (float)(1 / (255 * std)), bias = (float)(-mean / std), zero = bias;
        for (int i = 0; i < b; i++)
        {
            int dy = 0, dx = 0;
            bool flip = false;
            if (rng is not null)
            {
                uint r = rng.NextUInt32();
                int span = 2 * MaxShift + 1;
                dy = (int)(r % (uint)span) - MaxShift;
                dx = (int)(r / (uint)span % (uint)span) - MaxShift;
                flip = (rng.NextUInt32() & 1) == 1;
            }
            int src = indices[i] * h * w, dst = i * oh * ow;
            for (int y = 0; y < oh; y++)
            {
                int sy = y / u + dy;
                for (int xo = 0; xo < ow; xo++)
                {
                    int sx = (flip ? w - 1 - xo / u : xo / u) + dx;
                    x[dst + y * ow + xo] = (uint)sy < (uint)h && (uint)sx < (uint)w
                        ? Data.Pixels[src + sy * w + sx] * scale + bias : zero;
                }
            }
        }
        return Tensor.FromArray(x, b, 1, oh, ow);
    }

    /// <summary>Labels of <paramref name="indices"/> → (B) int32 targets.</summary>
    public Tensor Labels(ReadOnlySpan<int> indices)
    {
        var t = new int[indices.Length];
        for (int i = 0; i < t.Length; i++) t[i] = Data.Labels[indices[i]];
        return Tensor.FromArray(t, t.Length);
    }

    /// <summary>The order of epoch <paramref name="epoch"/>: a permutation of 0..count−1 fixed by
    /// (<paramref name="seed"/>, epoch), so a resumed run sees the same order.</summary>
    public static int[] EpochOrder(int count, ulong seed, int epoch)
    {
        var rng = new PhiloxRandom(seed ^ 0x5EEDF00DUL, PhiloxRandom.Streams.Data + 16 + (ulong)epoch);
        var order = Enumerable.Range(0, count).ToArray();
        for (int i = count - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
