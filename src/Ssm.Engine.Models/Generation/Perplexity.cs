using System.Diagnostics;
using Ssm.Engine.Autograd;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Generation;

/// <summary>The result of <see cref="Perplexity.Evaluate"/>: mean negative log-likelihood (nats per predicted
/// token), its exponential, the number of predicted tokens and the throughput.</summary>
public sealed record PerplexityResult(double MeanNll, double Perplexity, int Tokens, double Seconds)
{
    /// <summary>Tokens (of the whole input) processed per second.</summary>
    public double TokensPerSecond => Seconds > 0 ? (Tokens + 1) / Seconds : 0;
}

/// <summary>Perplexity of a token sequence under a model, computed with the whole-sequence path in windows
/// whose recurrent state is carried over (an exact, unbroken context, unlike sliding-window evaluation of a
/// Transformer). Padded vocabulary columns are excluded from the softmax.</summary>
public static class Perplexity
{
    /// <summary>Scores ids[1..] given their prefixes; <paramref name="window"/> tokens per forward call.</summary>
    public static PerplexityResult Evaluate(CausalLm model, IReadOnlyList<int> ids, int window = 512)
    {
        if (ids.Count < 2) throw new ArgumentException("[perplexity] needs at least 2 tokens");
        if (window < 1) throw new ArgumentException($"[perplexity] window must be positive, got {window}");
        int vocab = model.Config.VocabSize, vpad = model.Config.PaddedVocabSize;
        if (ids.Any(t => t < 0 || t >= vpad)) throw new ArgumentException($"[perplexity] ids must lie in [0, {vpad})");
        var sw = Stopwatch.StartNew();
        var cache = model.NewCache();
        double nll = 0;
        int scored = 0;
        for (int start = 0; start < ids.Count - 1; start += window)
        {
            int len = Math.Min(window, ids.Count - 1 - start);
            var chunk = Tensor.FromArray(Enumerable.Range(start, len).Select(i => (long)ids[i]).ToArray(), 1, len);
            float[] logits;
            using (Tape.NoGrad()) logits = model.Forward(chunk, cache).To(DType.Float32).Contiguous().ToArray();
            for (int t = 0; t < len; t++)
            {
                var row = logits.AsSpan(t * vpad, vocab);
                float max = float.NegativeInfinity;
                foreach (float v in row) max = MathF.Max(max, v);
                double sum = 0;
                foreach (float v in row) sum += Math.Exp(v - max);
                nll += max + Math.Log(sum) - row[ids[start + t + 1]];
                scored++;
            }
        }
        double mean = nll / scored;
        return new PerplexityResult(mean, Math.Exp(mean), scored, sw.Elapsed.TotalSeconds);
    }
}
