using Ssm.Engine.IO;
using Ssm.Engine.Models.Generation;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Loading;
using Ssm.Engine.Models.Tests.Lm;
using Ssm.Engine.Models.Tests.Loading;
using Xunit;

namespace Ssm.Engine.Models.Tests.Generation;

public class GeneratorTests
{
    [Theory]
    [InlineData("mamba1_l2_v256_tied", "hf")]
    [InlineData("mamba1_l2_v1000_untied", "native")]
    [InlineData("mamba2_l2_v256", "native")]
    [InlineData("hybrid_m2_gqa_mlp_l3_v256", "native")]
    public void Greedy_ReproducesTheGoldenContinuation(string name, string format)
    {
        var model = ModelLoader.Load(CheckpointDirs.Format(name, format)).Model;
        using var g = SafetensorsFile.Open(Path.Combine(CheckpointDirs.Models, name, "golden.safetensors"));
        var ids = g.ReadInt64("in.input_ids");
        var gen = g.ReadInt64("out.gen_tokens");
        int lp = g.GetEntry("in.input_ids").Shape[1], n = g.GetEntry("out.gen_tokens").Shape[1];
        var prompt = ids.Take(lp).Select(t => (int)t).ToArray();
        var got = Generator.Generate(model, prompt, new SamplingOptions { Temperature = 0, MaxTokens = n }).ToArray();
        Assert.Equal(gen.Take(n).Select(t => (int)t).ToArray(), got);
    }

    [Theory]
    [InlineData("mamba1_l2_v256_tied")]
    [InlineData("mamba1_l2_v1000_untied")]
    public void Bf16Checkpoint_DecodesThroughTheBf16FastPath_AndMatchesTheTensorPath(string name)
    {
        var model = ModelLoader.Load(CheckpointDirs.Format(name, "hf_bf16"), new LoadOptions(KeepBFloat16: true))
            .Model;
        var dec = new MambaDecoder(model, threads: 1);
        Assert.True(dec.Bf16);
        using var g = SafetensorsFile.Open(Path.Combine(CheckpointDirs.Models, name, "golden.safetensors"));
        int lp = g.GetEntry("in.input_ids").Shape[1];
        var prompt = g.ReadInt64("in.input_ids").Take(lp).Select(t => (int)t).ToArray();
        var options = new SamplingOptions { Temperature = 0, MaxTokens = 6 };
        var fast = Generator.Generate(dec, prompt, options).ToArray();
        var cache = model.NewCache();
        var slow = new List<int>();
        using (Ssm.Engine.Autograd.Tape.NoGrad())
        {
            var ids = Ssm.Engine.Tensors.Tensor.FromArray(prompt.Select(t => (long)t).ToArray(), 1, lp);
            var logits = model.Forward(ids, cache).Select(1, lp - 1).Select(0, 0);
            for (int n = 0; n < 6; n++)
            {
                var row = logits.To(Ssm.Engine.Tensors.DType.Float32).Contiguous().ToArray()
                    .Take(model.Config.VocabSize).ToArray();
                int next = Array.IndexOf(row, row.Max());
                slow.Add(next);
                logits = model.Step(Ssm.Engine.Tensors.Tensor.FromArray(new long[] { next }, 1), cache).Select(0, 0);
            }
        }
        Assert.Equal(slow, fast);
    }

    [Fact]
    public void StopToken_EndsGeneration_AndMaxTokensBoundsIt()
    {
        var model = new CausalLm(TinyModels.Mamba2, seed: 2);
        var free = Generator.Generate(model, [1, 2, 3], new SamplingOptions { Temperature = 0, MaxTokens = 6 })
            .ToArray();
        Assert.Equal(6, free.Length);
        Assert.All(free, t => Assert.InRange(t, 0, model.Config.VocabSize - 1));
        var stop = new HashSet<int> { free[2] };
        var cut = Generator.Generate(model, [1, 2, 3],
            new SamplingOptions { Temperature = 0, MaxTokens = 6, StopTokens = stop }).ToArray();
        Assert.Equal(free.Take(Array.IndexOf(free, free[2]) + 1), cut);
    }

    [Fact]
    public async Task Async_StreamsTheSameTokens_AndHonoursCancellation()
    {
        var model = new CausalLm(TinyModels.Mamba1, seed: 3);
        var options = new SamplingOptions { Temperature = 0.7, TopP = 0.9, Seed = 11, MaxTokens = 5 };
        var sync = Generator.Generate(model, [4, 5], options).ToArray();
        var streamed = new List<int>();
        await foreach (int t in Generator.GenerateAsync(model, [4, 5], options)) streamed.Add(t);
        Assert.Equal(sync, streamed);
        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (int _ in Generator.GenerateAsync(model, [4, 5], options with { MaxTokens = 50 }, cts.Token))
                cts.Cancel();
        });
    }

    [Fact]
    public void EmptyOrOutOfRangePrompt_IsRejected()
    {
        var model = new CausalLm(TinyModels.Mamba1);
        Assert.Throws<ArgumentException>(() => Generator.Generate(model, [], new SamplingOptions()).ToArray());
        Assert.Throws<ArgumentException>(() => Generator.Generate(model, [999], new SamplingOptions()).ToArray());
    }
}
