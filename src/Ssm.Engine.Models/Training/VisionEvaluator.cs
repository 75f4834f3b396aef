using System.Diagnostics;
using Ssm.Engine.Autograd;
using Ssm.Engine.IO;
using Ssm.Engine.Models.Vision;
using Ssm.Engine.Training;

namespace Ssm.Engine.Models.Training;

/// <summary>Test accuracy and inference throughput of an image classifier.</summary>
public readonly record struct VisionEvaluation(double Accuracy, int Correct, int Total, double Seconds)
{
    /// <summary>Images classified per second.</summary>
    public double ImagesPerSecond => Total / Math.Max(Seconds, 1e-9);
}

/// <summary>Evaluates classifiers (gradients off) and loads trained run directories.</summary>
public static class VisionEvaluator
{
    /// <summary>Classifies every image of <paramref name="data"/> in batches of <paramref name="batch"/>.</summary>
    public static VisionEvaluation Evaluate(ImageClassifier model, ImageBatcher data, int batch)
    {
        if (batch < 1) throw new ArgumentException($"[vision_eval] batch {batch} must be positive");
        int n = data.Data.Count, correct = 0;
        var idx = Enumerable.Range(0, n).ToArray();
        var clock = Stopwatch.StartNew();
        using (Tape.NoGrad())
        {
            for (int s = 0; s < n; s += batch)
            {
                var part = idx.AsSpan(s, Math.Min(batch, n - s));
                var logits = model.Logits(data.Images(part)).ToArray();           // (b, classes)
                int classes = logits.Length / part.Length;
                for (int i = 0; i < part.Length; i++)
                {
                    int best = 0;
                    for (int c = 1; c < classes; c++)
                        if (logits[i * classes + c] > logits[i * classes + best]) best = c;
                    if (best == data.Data.Labels[part[i]]) correct++;
                }
            }
        }
        return new VisionEvaluation(n > 0 ? (double)correct / n : 0, correct, n, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The trained model of a run directory (<c>vision.json</c> + <c>model.safetensors</c>) and its
    /// settings; parameters are loaded by name.</summary>
    public static (ImageClassifier Model, VisionRunOptions Options) Load(string dir)
    {
        var options = VisionRunOptions.Load(dir);
        var model = VisionModels.Create(options.Model, 0);
        string weights = Path.Combine(dir, Trainer.ModelFileName);
        if (!File.Exists(weights)) throw new FileNotFoundException($"[vision_eval] {weights} does not exist", weights);
        using var f = SafetensorsFile.Open(weights);
        new ParameterSet(model.NamedParameters()).Load(f);                       // in place, by name
        return (model, options);
    }
}
