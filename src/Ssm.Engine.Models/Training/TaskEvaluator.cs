using Ssm.Engine.Autograd;
using Ssm.Engine.Models.Generation;
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
        var decoder = MambaDecoder.Supports(model) ? new MambaDecoder(model) : null;
        using (Tape.NoGrad())
        {
            for (int done = 0; done < sequences; done += batch)
                total += Run(model, sample(rng, Math.Min(batch, sequences - done)), decoder);
        }
        return new LengthAccuracy(length, total, clock.Elapsed);
    }

    /// <summary>Accuracy on one batch through the step mode: the allocation-free <see cref="MambaDecoder"/> when
    /// it serves the model (pass one to reuse it across batches), else <see cref="CausalLm.Step"/>.</summary>
    public static AccuracyResult Run(CausalLm model, TokenBatch batch, MambaDecoder? decoder = null)
    {
        int b = batch.BatchSize, l = batch.Length;
        var score = new Scoring(batch);
        var ids = new int[b];
        if (decoder is not null || MambaDecoder.Supports(model))
        {
            decoder ??= new MambaDecoder(model);
            var state = decoder.NewState(b);
            for (int t = 0; t < l; t++)
            {
                for (int i = 0; i < b; i++) ids[i] = batch.Inputs[i * l + t];
                score.Add(t, decoder.Step(ids, state), decoder.Vocab);
            }
            return score.Result;
        }
        var cache = model.NewCache();
        for (int t = 0; t < l; t++)
        {
            for (int i = 0; i < b; i++) ids[i] = batch.Inputs[i * l + t];
            var logits = model.Step(Tensor.FromArray((int[])ids.Clone(), b), cache);   // (B, V_pad)
            if (score.Scored(t)) score.Add(t, logits.Contiguous().ToArray(), logits.Shape[1]);
        }
        return score.Result;
    }

    /// <summary>Counts correct argmax predictions at the masked positions of a batch.</summary>
    private sealed class Scoring(TokenBatch batch)
    {
        private readonly bool[] _allRight = Enumerable.Repeat(true, batch.BatchSize).ToArray();
        private long _correct, _total;

        public bool Scored(int t)
        {
            for (int i = 0; i < batch.BatchSize; i++)
                if (batch.Mask[i * batch.Length + t] != 0) return true;
            return false;
        }

        /// <summary>Scores token <paramref name="t"/> from logits (B, <paramref name="v"/>).</summary>
        public void Add(int t, ReadOnlySpan<float> logits, int v)
        {
            int l = batch.Length;
            for (int i = 0; i < batch.BatchSize; i++)
            {
                if (batch.Mask[i * l + t] == 0) continue;
                _total++;
                if (TokenAccuracy.Argmax(logits.Slice(i * v, v)) == batch.Targets[i * l + t]) _correct++;
                else _allRight[i] = false;
            }
        }

        public AccuracyResult Result => new(_correct, _total, _allRight.Count(x => x), batch.BatchSize);
    }
}
