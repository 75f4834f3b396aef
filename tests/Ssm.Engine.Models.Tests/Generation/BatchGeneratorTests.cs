using Ssm.Engine.Models.Generation;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Tests.Lm;
using Xunit;

namespace Ssm.Engine.Models.Tests.Generation;

public class BatchGeneratorTests
{
    private static readonly int[][] Prompts = [[1, 2, 3, 4, 5, 6, 7], [9], [4, 4, 8], [11, 3, 0, 2, 6]];

    [Theory]
    [InlineData(0.0, 1)]
    [InlineData(0.8, 2)]
    public void MixedPromptLengths_GiveTheSameTokensAsOneByOne(double temperature, int threads)
    {
        var model = new CausalLm(TinyModels.Mamba1, seed: 4);
        var options = new SamplingOptions { Temperature = temperature, Seed = 3, MaxTokens = 6 };
        var batched = BatchGenerator.Generate(model, Prompts, options, threads);
        for (int r = 0; r < Prompts.Length; r++)
            Assert.Equal(Generator.Generate(model, Prompts[r], options).ToArray(), batched[r]);
    }

    [Fact]
    public void RowsStopOnTheirOwn_AndTheOthersContinueExactly()
    {
        var model = new CausalLm(TinyModels.Mamba1, seed: 6);
        var free = BatchGenerator.Generate(model, Prompts, new SamplingOptions { Temperature = 0, MaxTokens = 5 });
        var stop = new HashSet<int> { free[1][1] };
        var options = new SamplingOptions { Temperature = 0, MaxTokens = 5, StopTokens = stop };
        var cut = BatchGenerator.Generate(model, Prompts, options);
        Assert.Equal(free[1].Take(Array.IndexOf(free[1], free[1][1]) + 1), cut[1]);
        for (int r = 0; r < Prompts.Length; r++)
            Assert.Equal(Generator.Generate(model, Prompts[r], options).ToArray(), cut[r]);
    }

    [Fact]
    public void OtherModelKinds_FallBackToOneByOne()
    {
        var model = new CausalLm(TinyModels.Hybrid, seed: 1);
        var options = new SamplingOptions { Temperature = 0, MaxTokens = 3 };
        var batched = BatchGenerator.Generate(model, Prompts, options);
        for (int r = 0; r < Prompts.Length; r++)
            Assert.Equal(Generator.Generate(model, Prompts[r], options).ToArray(), batched[r]);
    }
}
