using System.Diagnostics;
using Ssm.Engine.Autograd;
using Ssm.Engine.Models.Generation;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Training;

/// <summary>Validation loss of a language model on held-out text, measured the way it is trained: consecutive
/// non-overlapping windows of the training length, each from a fresh state, a batch of windows per forward
/// call. Padded vocabulary columns are excluded from the softmax (as in <see cref="Perplexity"/>).</summary>
public static class LmEvaluator
{
    /// <summary>Mean NLL (nats per token) and perplexity over the first <paramref name="maxWindows"/> windows
    /// of <paramref name="length"/> tokens of <paramref name="corpus"/> (all windows when 0 or fewer exist).
    /// </summary>
    public static PerplexityResult Evaluate(CausalLm model, TokenCorpus corpus, int length, int batch = 8,
        int maxWindows = 0)
    {
        if (batch < 1) throw new ArgumentException($"[lm_eval] batch {batch} must be positive");
        int windows = corpus.WindowCount(length);
        if (maxWindows > 0) windows = Math.Min(windows, maxWindows);
        if (windows < 1)
            throw new ArgumentException($"[lm_eval] {corpus.Count} tokens hold no window of {length} + 1 tokens");
        int vocab = model.Config.VocabSize, vpad = model.Config.PaddedVocabSize;
        var sw = Stopwatch.StartNew();
        double nll = 0;
        long scored = 0;
        for (int w = 0; w < windows; w += batch)
        {
            var tb = corpus.Window(w, Math.Min(batch, windows - w), length);
            if (tb.Inputs.Any(t => t >= vocab) || tb.Targets.Any(t => t >= vocab))
                throw new ArgumentException($"[lm_eval] token ids must lie in [0, {vocab})");
            float[] logits;
            using (Tape.NoGrad())
                logits = model.Forward(tb.InputIds()).To(DType.Float32).Contiguous().ToArray();   // (B, L, V_pad)
            for (int i = 0; i < tb.Targets.Length; i++)
            {
                var row = logits.AsSpan(i * vpad, vocab);
                float max = float.NegativeInfinity;
                foreach (float v in row) max = MathF.Max(max, v);
                double sum = 0;
                foreach (float v in row) sum += Math.Exp(v - max);
                nll += max + Math.Log(sum) - row[tb.Targets[i]];
                scored++;
            }
        }
        double mean = nll / scored;
        return new PerplexityResult(mean, Math.Exp(mean), (int)scored, sw.Elapsed.TotalSeconds);
    }
}
