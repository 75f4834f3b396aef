using Ssm.Engine.Models.Lm;

namespace Ssm.Engine.Models.Generation;

/// <summary>Generation for a batch of prompts of different lengths. Each prompt is prefilled on its own into its
/// batch row of one <see cref="DecodeState"/> (no padding ever enters a row's state), then the rows decode
/// together one token per step; a row that has hit a stop token or its budget stops sampling (its slot keeps
/// running on a dummy token whose result is ignored). Each row samples with its own <see cref="Sampler"/> built
/// from the same options, so a row's tokens equal what <see cref="Generator"/> yields for that prompt alone.
/// </summary>
public static class BatchGenerator
{
    /// <summary>The continuations of <paramref name="prompts"/> (one array per prompt, each at most
    /// <see cref="SamplingOptions.MaxTokens"/> long and ending at its first stop token).</summary>
    public static int[][] Generate(MambaDecoder decoder, IReadOnlyList<IReadOnlyList<int>> prompts,
        SamplingOptions options, CancellationToken cancellationToken = default)
    {
        if (prompts.Count == 0) return [];
        foreach (var p in prompts) Generator.CheckPrompt(decoder.Config, p);
        int batch = prompts.Count, vocab = decoder.Config.VocabSize;
        var state = decoder.NewState(batch);
        var samplers = new Sampler[batch];
        var seen = new List<int>[batch];
        var outputs = new List<int>[batch];
        var done = new bool[batch];
        var tokens = new int[batch];
        for (int r = 0; r < batch; r++)
        {
            decoder.Prefill(state, r, prompts[r]);
            samplers[r] = new Sampler(options);
            seen[r] = [.. prompts[r]];
            outputs[r] = [];
            done[r] = options.MaxTokens <= 0;
        }
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool any = false;
            for (int r = 0; r < batch; r++)
            {
                if (done[r])
                {
                    tokens[r] = 0;
                    continue;
                }
                int next = samplers[r].Next(state.LogitsRow(r)[..vocab], seen[r]);
                seen[r].Add(next);
                outputs[r].Add(next);
                tokens[r] = next;
                done[r] = options.StopTokens.Contains(next) || outputs[r].Count >= options.MaxTokens;
                any |= !done[r];
            }
            if (!any) break;
            decoder.Step(tokens, state);
        }
        return [.. outputs.Select(o => o.ToArray())];
    }

    /// <summary>As above for a model: a Mamba-1 model gets a <see cref="MambaDecoder"/> with
    /// <paramref name="threads"/> GEMV threads; other models generate each prompt in turn with
    /// <see cref="Generator"/>.</summary>
    public static int[][] Generate(CausalLm model, IReadOnlyList<IReadOnlyList<int>> prompts,
        SamplingOptions options, int threads = 0, CancellationToken cancellationToken = default)
    {
        if (MambaDecoder.Supports(model))
            return Generate(new MambaDecoder(model, threads: threads), prompts, options, cancellationToken);
        return [.. prompts.Select(p => Generator.Generate(model, p, options, cancellationToken).ToArray())];
    }
}
