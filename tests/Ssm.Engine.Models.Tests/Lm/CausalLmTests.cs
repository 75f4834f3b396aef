using Ssm.Engine.Autograd;
using Ssm.Engine.Models.Lm;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;
using Xunit;

namespace Ssm.Engine.Models.Tests.Lm;

public class CausalLmTests
{
    private static Tensor Ids(int seed, int batch, int length, int vocab)
    {
        var rng = new Random(seed);
        var ids = new long[batch * length];
        for (int i = 0; i < ids.Length; i++) ids[i] = rng.Next(vocab);
        return Tensor.FromArray(ids, batch, length);
    }

    [Theory]
    [MemberData(nameof(TinyModels.All), MemberType = typeof(TinyModels))]
    public void StepLogits_EqualParallelLogits_AfterPrefill(string name)
    {
        var model = new CausalLm(TinyModels.ByName(name), seed: 3);
        var ids = Ids(1, 2, 9, model.Config.VocabSize);
        using var _ = Tape.NoGrad();
        var full = model.Forward(ids);
        Assert.Equal([2, 9, model.Config.PaddedVocabSize], full.Shape);
        var cache = model.NewCache();
        model.Forward(ids.Narrow(1, 0, 5).Contiguous(), cache);
        for (int t = 5; t < 9; t++)
        {
            var step = model.Step(ids.Select(1, t).Contiguous(), cache);
            TensorAssert.Close(full.Select(1, t).Contiguous(), step, 1e-4, 1e-4, $"{name} logits at {t}");
        }
        Assert.Equal(9, cache.Position);
    }

    [Theory]
    [MemberData(nameof(TinyModels.All), MemberType = typeof(TinyModels))]
    public void ChunkedPrefill_EqualsOneForward(string name)
    {
        var model = new CausalLm(TinyModels.ByName(name), seed: 4);
        var ids = Ids(2, 1, 11, model.Config.VocabSize);
        using var _ = Tape.NoGrad();
        var full = model.Forward(ids);
        var cache = model.NewCache();
        var a = model.Forward(ids.Narrow(1, 0, 4).Contiguous(), cache);
        var b = model.Forward(ids.Narrow(1, 4, 7).Contiguous(), cache);
        TensorAssert.Close(full, F.Concat([a, b], 1), 1e-4, 1e-4, name);
    }

    [Fact]
    public void SnapshotRestore_ReplaysTheSameLogits()
    {
        var model = new CausalLm(TinyModels.Hybrid, seed: 5);
        using var _ = Tape.NoGrad();
        var cache = model.NewCache();
        model.Forward(Ids(3, 1, 6, 20), cache);
        var snap = cache.Snapshot();
        var first = model.Step(Tensor.FromArray(new long[] { 7 }, 1), cache);
        model.Step(Tensor.FromArray(new long[] { 2 }, 1), cache);
        cache.Restore(snap);
        Assert.Equal(6, cache.Position);
        TensorAssert.Equal(first, model.Step(Tensor.FromArray(new long[] { 7 }, 1), cache), "logits after restore");
        var copy = cache.Copy();
        cache.Reset();
        Assert.Equal(0, cache.Position);
        Assert.Null(cache.Layers[0].Conv);
        Assert.NotNull(copy.Layers[0].Conv);
    }

    [Fact]
    public void ParameterPaths_FollowTheStateDictNames()
    {
        var names = new CausalLm(TinyModels.Hybrid).NamedParameters().Select(p => p.Path).ToHashSet();
        Assert.Contains("backbone.layers.0.mixer.A_log", names);
        Assert.Contains("backbone.layers.0.mixer.conv1d.weight", names);
        Assert.Contains("backbone.layers.1.mixer.in_proj.bias", names);
        Assert.DoesNotContain("backbone.layers.1.mixer.out_proj.bias", names);
        Assert.Contains("backbone.layers.2.mlp.fc1.weight", names);
        Assert.Contains("backbone.layers.2.norm2.weight", names);
        Assert.DoesNotContain("lm_head.weight", names);
        Assert.Contains("lm_head.weight", new CausalLm(TinyModels.Mamba1).NamedParameters().Select(p => p.Path));
    }

    [Theory]
    [MemberData(nameof(TinyModels.All), MemberType = typeof(TinyModels))]
    public void Gradients_MatchCentralDifferences_OnSampledParameters(string name)
    {
        var model = new CausalLm(TinyModels.ByName(name), seed: 6);
        model.SetRequiresGrad();
        var ids = Ids(4, 1, 6, model.Config.VocabSize);
        var targets = Ids(5, 1, 6, model.Config.VocabSize).Reshape(-1);
        Tensor Loss() => F.CrossEntropy(model.Forward(ids).Reshape(6, -1), targets);
        CheckAgainstCentralDifferences(model, Loss, (_, i) => i % 3 == 0, seed: 7, atol: 3e-3);
    }

    [Theory]
    [MemberData(nameof(TinyModels.All), MemberType = typeof(TinyModels))]
    public void StepPath_IsDifferentiable_MatchingCentralDifferences(string name)
    {
        var model = new CausalLm(TinyModels.ByName(name), seed: 8);
        model.SetRequiresGrad();
        var ids = Ids(6, 2, 4, model.Config.VocabSize);
        Tensor Loss()
        {
            var cache = model.NewCache();
            model.Forward(ids.Narrow(1, 0, 2).Contiguous(), cache);
            var total = F.Sum(model.Step(ids.Select(1, 2).Contiguous(), cache) * 0.1);
            return total + F.Sum(F.Tanh(model.Step(ids.Select(1, 3).Contiguous(), cache)));
        }
        CheckAgainstCentralDifferences(model, Loss, (_, i) => i % 2 == 1, seed: 9, atol: 5e-3);
    }

    // Back-propagates loss once, then compares one random element of every picked parameter's gradient with a
    // central difference (h = 1e-2) within atol + 3e-2·|fd|.
    private static void CheckAgainstCentralDifferences(CausalLm model, Func<Tensor> loss,
        Func<(string Path, Tensor Value), int, bool> pick, int seed, double atol)
    {
        loss().Backward();
        using var _ = Tape.NoGrad();
        var rng = new Random(seed);
        foreach (var (path, p) in model.NamedParameters().Where(pick))
        {
            Assert.True(p.Grad is not null, $"{path} has no gradient");
            var data = p.Data<float>();
            int j = rng.Next(data.Length);
            float keep = data[j];
            const float h = 1e-2f;
            data[j] = keep + h;
            double up = loss().Item();
            data[j] = keep - h;
            double down = loss().Item();
            data[j] = keep;
            double fd = (up - down) / (2 * h), g = p.Grad!.ToArray()[j];
            Assert.True(Math.Abs(fd - g) <= atol + 3e-2 * Math.Abs(fd), $"{path}[{j}]: fd {fd:G5}, backward {g:G5}");
        }
    }

    [Fact]
    public void Config_RejectsHeadsThatDoNotDivideIntoGroups()
    {
        var bad = TinyModels.Mamba2 with { Ssm = TinyModels.Mamba2.Ssm with { NGroups = 3 } };
        var ex = Assert.Throws<ModelConfigException>(() => new CausalLm(bad));
        Assert.Contains("ngroups", ex.Message);
    }
}
