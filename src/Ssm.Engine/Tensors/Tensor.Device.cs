// Device residency: explicit transfers (To(DeviceSpec)), deterministic release (Dispose) and the device views the
// ops in Ssm.Engine.Ops.DeviceOps launch ILGPU kernels on.
using ILGPU;
using Ssm.Engine.Autograd;
using Ssm.Engine.Devices;

namespace Ssm.Engine.Tensors;

public sealed partial class Tensor : IDisposable
{
    /// <summary>Copies this tensor to <paramref name="device"/> (this tensor itself when already there). Host →
    /// device uploads, device → host downloads, device → device goes through the host. Only float32 tensors can
    /// live on an ILGPU device. Differentiable: the gradient is copied back to this tensor's device.</summary>
    /// <exception cref="NotSupportedException">A non-float32 tensor is sent to an ILGPU device.</exception>
    /// <exception cref="InvalidOperationException">The device is not available (the message says why).</exception>
    public Tensor To(DeviceSpec device)
    {
        var from = Device;
        if (device == from) return this;
        Tensor y;
        if (!device.IsGpu()) y = Download();
        else
        {
            if (DType != DType.Float32)
                throw new NotSupportedException($"[to] only float32 tensors can live on {device}; got {DType}");
            var host = from.IsGpu() ? Download() : Materialize();
            if (NumEl == 0) return Tape.Record(ZerosOn(device, Shape.ToArray()), "to", [this], g => [g.To(from)]);
            var gpu = DeviceRegistry.Get(device);
            var buffer = new DeviceBuffer(device, gpu.Upload(host.Span<float>()));
            gpu.Synchronize(); // the host span must not be read after this call returns
            y = new Tensor(Storage.OnDevice(buffer), Shape.ToArray());
        }
        return Tape.Record(y, "to", [this], g => [g.To(from)]);
    }

    /// <summary>Frees this tensor's device memory now (idempotent). The storage is shared by every view of it, so
    /// those views are released too; using any of them afterwards throws <see cref="ObjectDisposedException"/>.
    /// Host tensors have nothing to free: their arrays belong to the garbage collector, so this is a no-op.
    /// There is no finaliser: an undisposed device tensor is freed when its device is.</summary>
    public void Dispose() => Storage.Dispose();

    /// <summary>True once a device tensor's memory was released by <see cref="Dispose"/>.</summary>
    public bool IsDisposed => Storage.IsDisposed;

    /// <summary>A new zero-filled float32 tensor on <paramref name="device"/> (a host tensor for
    /// <see cref="DeviceSpec.Cpu"/>).</summary>
    public static Tensor Zeros(DeviceSpec device, params int[] shape) =>
        device.IsGpu() ? ZerosOn(device, shape) : Zeros(shape);

    /// <summary>A new contiguous float32 tensor on <paramref name="device"/>, zero-filled.</summary>
    internal static Tensor ZerosOn(DeviceSpec device, int[] shape)
    {
        var gpu = DeviceRegistry.Get(device);
        var buffer = new DeviceBuffer(device, gpu.Allocate(Math.Max(1, ShapeUtil.NumEl(shape))));
        return new Tensor(Storage.OnDevice(buffer), shape);
    }

    /// <summary>The device elements of a contiguous device tensor.</summary>
    internal ArrayView<float> DeviceView(string op)
    {
        RequireDeviceContiguous(op);
        return Storage.DeviceBuffer!.View.SubView(Offset, NumEl);
    }

    /// <summary>The device storage from <see cref="Offset"/> to its end (for strided GEMM operands).</summary>
    internal ArrayView<float> DeviceTail()
    {
        var v = Storage.DeviceBuffer!.View;
        return v.SubView(Offset, v.Length - Offset);
    }

    internal void RequireDeviceContiguous(string op)
    {
        if (!Device.IsGpu() || IsContiguous) return;
        throw new NotSupportedException(
            $"[{op}] non-contiguous views (shape {ShapeUtil.Format(Shape)}, strides {ShapeUtil.Format(Strides)}) " +
            $"are not supported on {Device}; call .To(DeviceSpec.Cpu) first");
    }

    private Tensor Download()
    {
        var gpu = Storage.DeviceBuffer!.Gpu;
        var host = new float[NumEl];
        if (IsContiguous) gpu.Download(DeviceView("to"), host);
        else
        {
            using var dense = Ops.DeviceOps.Dense("to", this); // strided view: packed on the device first
            gpu.Download(dense.DeviceView("to"), host);
        }
        return FromArray(host, Shape.ToArray());
    }
}
