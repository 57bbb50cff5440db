using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionEngine.Layers;

/// <summary>
/// diffusers' Upsample2D with a convolution: nearest-neighbour upsampling (x2, or to an explicit size
/// when the U-Net's input is not a multiple of its overall downsampling factor), then a 3x3 conv.
/// </summary>
public sealed class Upsample2D : nn.Module<Tensor, long[]?, Tensor>
{
    private readonly Conv2d conv;

    public Upsample2D(long channels, long outChannels) : base(nameof(Upsample2D))
    {
        conv = nn.Conv2d(channels, outChannels, 3, stride: 1, padding: 1, device: ModuleBuild.Device);
        RegisterComponents();
    }

    /// <param name="outputSize">[H, W] to upsample to; null doubles the size.</param>
    public override Tensor forward(Tensor x, long[]? outputSize)
    {
        using var scope = NewDisposeScope();
        var h = outputSize is null
            ? nn.functional.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest)
            : nn.functional.interpolate(x, size: outputSize, mode: InterpolationMode.Nearest);
        return scope.MoveToOuter(conv.forward(h));
    }
}
