using Ssm.Engine.Autograd;
using Ssm.Engine.Models.Generation;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Models.Tests.Lm;
using Ssm.Engine.Tensors;
using Xunit;

namespace Ssm.Engine.Models.Tests.Generation;

public class PerplexityTests
{
    private static readonly int[] Ids = [1, 5, 2, 9, 9, 3, 0, 7, 4, 6, 2, 8];

    [Theory]
    [InlineData(nameof(TinyModels.Mamba1))]
    [InlineData(nameof(TinyModels.Mamba2))]
    public void Windows_CarryTheState_SoTheResultDoesNotDependOnTheWindow(string name)
    {
        var model = new CausalLm(TinyModels.ByName(name), seed: 3);
        var whole = Perplexity.Evaluate(model, Ids, window: 100);
        var chunked = Perplexity.Evaluate(model, Ids, window: 3);
        Assert.Equal(Ids.Length - 1, whole.Tokens);
        Assert.Equal(whole.MeanNll, chunked.MeanNll, 4);
        Assert.Equal(Math.Exp(whole.MeanNll), whole.Perplexity, 6);
    }

    [Fact]
    public void MeanNll_IsTheLogSoftmaxOverTheRealVocabulary()
    {
        var model = new CausalLm(TinyModels.Mamba1, seed: 8);
        int vocab = model.Config.VocabSize, vpad = model.Config.PaddedVocabSize;
        float[] logits;
        using (Tape.NoGrad())
            logits = model.Forward(Tensor.FromArray(Ids.Select(t => (long)t).ToArray(), 1, Ids.Length))
                .Contiguous().ToArray();
        double nll = 0;
        for (int t = 0; t + 1 < Ids.Length; t++)
        {
            double z = 0;
            for (int v = 0; v < vocab; v++) z += Math.Exp(logits[t * vpad + v]);
            nll += Math.Log(z) - logits[t * vpad + Ids[t + 1]];
        }
        Assert.Equal(nll / (Ids.Length - 1), Perplexity.Evaluate(model, Ids).MeanNll, 4);
    }

    [Fact]
    public void TooShortInput_IsRejected()
    {
        var model = new CausalLm(TinyModels.Mamba1, seed: 1);
        Assert.Throws<ArgumentException>(() => Perplexity.Evaluate(model, [1]));
    }
}
