using Ssm.Engine.Autograd;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Tensors;
using Ssm.Engine.Training;
using Ssm.Engine.Training.Tasks;

namespace Ssm.Engine.Models.Training;

/// <summary>Accuracy of a model on a synthetic task at one evaluation length.</summary>
public readonly record struct LengthAccuracy(int Length, AccuracyResult Result, TimeSpan Elapsed);

/// <summary>Evaluates a task model through its recurrent <see cref="CausalLm.Step"/> mode, a batch of sequences
/// one token at a time, so memory stays O(state) whatever the length (only the sampled token ids are held).
/// </summary>
public static class TaskEvaluator
{
    /// <summary>Token accuracy of <paramref name="model"/> on <paramref name="sequences"/> fresh sequences of
    /// <paramref name="length"/>, drawn from the evaluation stream of the run seed (independent of the other
    /// lengths), <paramref name="batch"/> sequences at a time.</summary>
    public static LengthAccuracy Evaluate(CausalLm model, TaskRunOptions options, int length, int sequences,
        int batch = 32)
    {
        if (sequences < 1 || batch < 1)
            throw new ArgumentException($"[eval_task] sequences {sequences} and batch {batch} must be positive");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var sample = options.Sampler(length);
        var rng = new PhiloxRandom(options.Seed ^ ((ulong)length * 0x9E3779B97F4A7C15UL), PhiloxRandom.Streams.Eval);
        var total = new AccuracyResult(0, 0, 0, 0);
        using (Tape.NoGrad())
        {
            for (int done = 0; done < sequences; done += batch)
                total += Run(model, sample(rng, Math.Min(batch, sequences - done)));
        }
        return new LengthAccuracy(length, total, clock.Elapsed);
    }

    /// <summary>Accuracy on one batch through the step mode.</summary>
    public static AccuracyResult Run(CausalLm model, TokenBatch batch)
    {
        int b = batch.BatchSize, l = batch.Length;
        var cache = model.NewCache();
        var ids = new int[b];
        bool[] allRight = Enumerable.Repeat(true, b).ToArray();
        long correct = 0, total = 0;
        for (int t = 0; t < l; t++)
        {
            for (int i = 0; i < b; i++) ids[i] = batch.Inputs[i * l + t];
            var logits = model.Step(Tensor.FromArray((int[])ids.Clone(), b), cache);   // (B, V_pad)
            bool scored = false;
            for (int i = 0; i < b && !scored; i++) scored = batch.Mask[i * l + t] != 0;
            if (!scored) continue;
            var data = logits.Contiguous().ToArray();
            int v = logits.Shape[1];
            for (int i = 0; i < b; i++)
            {
                if (batch.Mask[i * l + t] == 0) continue;
                total++;
                if (TokenAccuracy.Argmax(data.AsSpan(i * v, v)) == batch.Targets[i * l + t]) correct++;
                else allRight[i] = false;
            }
        }
        return new AccuracyResult(correct, total, allRight.Count(x => x), b);
    }
}
