using Ssm.Engine.Autograd;
using Ssm.Engine.Ops;
using Ssm.Engine.Tensors;
using Ssm.Engine.Testing;

namespace Ssm.Engine.Tests.Autograd;

public class TapeTests
{
    [Fact]
    public void Backward_AccumulatesOverMultipleUses()
    {
        var x = Tensor.FromArray(new double[] { 2, 3 }, 2).WithRequiresGrad();
        var y = F.Sum(x * x + x * 3.0); // d/dx = 2x + 3
        y.Backward();
        Assert.Equal(new[] { 7.0, 9.0 }, x.Grad!.ToDoubleArray());
        F.Sum(x).Backward(); // a second backward accumulates into the same Grad
        Assert.Equal(new[] { 8.0, 10.0 }, x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void Backward_DiamondGraph_VisitsSharedNodeOnce()
    {
        var x = Tensor.FromArray(new double[] { 1.5 }, 1).WithRequiresGrad();
        var h = F.Exp(x);
        var loss = F.Sum(h * h + h);
        loss.Backward();
        double e = Math.Exp(1.5);
        Assert.Equal(2 * e * e + e, x.Grad!.ToDoubleArray()[0], 10);
    }

    [Fact]
    public void NoGrad_DisablesRecording_AndNests()
    {
        var w = Tensor.Ones(2).WithRequiresGrad();
        using (Tape.NoGrad())
        {
            using (Tape.NoGrad()) Assert.False(Tape.IsGradEnabled);
            Assert.False(Tape.IsGradEnabled);
            var y = w * 2.0;
            Assert.False(y.RequiresGrad);
            Assert.Null(y.GradFn);
        }
        Assert.True(Tape.IsGradEnabled);
        Assert.True((w * 2.0).RequiresGrad);
    }

    [Fact]
    public async Task NoGrad_IsLocalToItsAsyncFlow()
    {
        using (Tape.NoGrad())
        {
            bool other = await Task.Run(() => Tape.IsGradEnabled);
            Assert.False(other); // flows into child tasks
        }
        var inner = new Thread(() => { using (Tape.NoGrad()) Thread.Sleep(1); });
        inner.Start();
        inner.Join();
        Assert.True(Tape.IsGradEnabled);
    }

    [Fact]
    public void Backward_NonScalarWithoutGradient_Throws()
    {
        var x = Tensor.Ones(3).WithRequiresGrad();
        var ex = Assert.Throws<InvalidOperationException>(() => (x * 2.0).Backward());
        Assert.Contains("scalar", ex.Message);
        (x * 2.0).Backward(Tensor.Ones(3));
        Assert.Equal(new float[] { 2, 2, 2 }, x.Grad!.ToArray());
    }

    [Fact]
    public void RequiresGrad_OnIntegerTensor_Throws() =>
        Assert.Throws<InvalidOperationException>(() => Tensor.FromArray(new[] { 1 }, 1).RequiresGrad = true);

    [Fact]
    public void NotDifferentiableOp_ThrowsTypedExceptionNamingOp()
    {
        var x = Tensor.Randn([2, 3], 1, DType.Float64).WithRequiresGrad();
        var idx = F.Argmax(x, -1);
        var picked = F.OneHot(idx, 3).To(DType.Float64);
        var ex = Assert.Throws<NotDifferentiableException>(() => F.Sum(picked * x).Backward());
        Assert.True(ex.OpName is "one_hot" or "argmax", ex.OpName);
        Assert.Contains(ex.OpName, ex.Message);
    }

    private sealed class Cube : Function
    {
        private Tensor? _x;
        public override string Name => "cube";

        protected override Tensor Forward(Tensor[] inputs)
        {
            _x = inputs[0];
            var y = Tensor.Zeros(_x.Shape, _x.DType);
            var xs = _x.Span<double>();
            var ys = y.Span<double>();
            for (int i = 0; i < ys.Length; i++) ys[i] = xs[i] * xs[i] * xs[i];
            return y;
        }

        protected override Tensor?[] Backward(Tensor g) => [g * _x! * _x! * 3.0];
    }

    [Fact]
    public void CustomFunction_And_Record_AreDifferentiable()
    {
        var x = Tensor.Randn([2, 3], 4, DType.Float64);
        GradCheck.Check(t => new Cube().Apply(t.MT), x, op: "cube");
        GradCheck.Check(t =>
        {
            var tc = t.Contiguous();
            var y = Tensor.Zeros(t.Shape, DType.Float64);
            var ys = y.Span<double>();
            var xs = tc.Span<double>();
            for (int i = 0; i < ys.Length; i++) ys[i] = Math.Sin(xs[i]);
            return Tape.Record(y, "sin", [t],
                    g => [g * F.Cast(Tensor.FromArray(tc.ToDoubleArray().Select(Math.Cos).ToArray(), t.Shape),
                            DType.Float64)]);
        }, x, op: "sin");
    }

    [Fact]
    public void Backward_DeepChain_DoesNotOverflowStack()
    {
        var x = Tensor.FromArray(new double[] { 1 }, 1).WithRequiresGrad();
        var y = x;
        for (int i = 0; i < 20000; i++) y = y + 0.0;
        F.Sum(y).Backward();
        Assert.Equal(1.0, x.Grad!.Item());
    }
}
