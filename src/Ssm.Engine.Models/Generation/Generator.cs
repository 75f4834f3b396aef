using System.Runtime.CompilerServices;
using Ssm.Engine.Autograd;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Tensors;

namespace Ssm.Engine.Models.Generation;

/// <summary>Autoregressive generation for one sequence: the prompt is prefilled with the whole-sequence
/// kernels, then each token is decoded with the recurrent <see cref="CausalLm.Step"/> path.</summary>
public static class Generator
{
    /// <summary>Yields up to <see cref="SamplingOptions.MaxTokens"/> tokens after <paramref name="prompt"/>,
    /// stopping after a stop token; padded vocabulary rows are never sampled. Pure Mamba-1 models decode through
    /// <see cref="MambaDecoder"/> (built for this call, so it always sees the current weights).</summary>
    public static IEnumerable<int> Generate(CausalLm model, IReadOnlyList<int> prompt, SamplingOptions options,
        CancellationToken cancellationToken = default)
    {
        CheckPrompt(model.Config, prompt);
        return MambaDecoder.Supports(model)
            ? Generate(new MambaDecoder(model), prompt, options, cancellationToken)
            : GenerateTensor(model, prompt, options, cancellationToken);
    }

    /// <summary>As <see cref="Generate(CausalLm, IReadOnlyList{int}, SamplingOptions, CancellationToken)"/> on a
    /// decoder built once by the caller (reused across prompts; its <see cref="MambaDecoder.Threads"/> apply).
    /// </summary>
    public static IEnumerable<int> Generate(MambaDecoder decoder, IReadOnlyList<int> prompt, SamplingOptions options,
        CancellationToken cancellationToken = default)
    {
        CheckPrompt(decoder.Config, prompt);
        return Run();

        IEnumerable<int> Run()
        {
            int vocab = decoder.Config.VocabSize;
            var sampler = new Sampler(options);
            var seen = new List<int>(prompt);
            var state = decoder.NewState();
            decoder.Prefill(state, 0, prompt);
            float[] logits = state.Logits;
            for (int n = 0; n < options.MaxTokens; n++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int next = sampler.Next(logits.AsSpan(0, vocab), seen);
                seen.Add(next);
                yield return next;
                if (options.StopTokens.Contains(next) || n + 1 == options.MaxTokens) yield break;
                decoder.Step(next, state);
            }
        }
    }

    private static IEnumerable<int> GenerateTensor(CausalLm model, IReadOnlyList<int> prompt, SamplingOptions options,
        CancellationToken cancellationToken)
    {
        int vocab = model.Config.VocabSize;
        var sampler = new Sampler(options);
        var seen = new List<int>(prompt);
        var cache = model.NewCache();
        Tensor logits;
        using (Tape.NoGrad())
        {
            var ids = Tensor.FromArray(prompt.Select(t => (long)t).ToArray(), 1, prompt.Count);
            logits = model.Forward(ids, cache).Select(1, prompt.Count - 1).Select(0, 0);
        }
        for (int n = 0; n < options.MaxTokens; n++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int next = sampler.Next(logits.To(DType.Float32).Contiguous().ToArray().AsSpan(0, vocab), seen);
            seen.Add(next);
            yield return next;
            if (options.StopTokens.Contains(next) || n + 1 == options.MaxTokens) yield break;
            using (Tape.NoGrad()) logits = model.Step(Tensor.FromArray(new long[] { next }, 1), cache).Select(0, 0);
        }
    }

    internal static void CheckPrompt(ModelConfig config, IReadOnlyList<int> prompt)
    {
        if (prompt.Count == 0) throw new ArgumentException("[generate] the prompt is empty");
        if (prompt.Any(t => t < 0 || t >= config.PaddedVocabSize))
            throw new ArgumentException($"[generate] prompt ids must lie in [0, {config.PaddedVocabSize})");
    }

    /// <summary>Streams
    /// <see cref="Generate(CausalLm, IReadOnlyList{int}, SamplingOptions, CancellationToken)"/> token by token,
    /// computing each on the thread pool so the caller stays responsive; cancellation stops between tokens.</summary>
    public static async IAsyncEnumerable<int> GenerateAsync(CausalLm model, IReadOnlyList<int> prompt,
        SamplingOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var e = Generate(model, prompt, options, cancellationToken).GetEnumerator();
        while (await Task.Run(e.MoveNext, cancellationToken).ConfigureAwait(false)) yield return e.Current;
    }
}
