using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionEngine.Layers;

/// <summary>
/// diffusers' Downsample2D with a convolution: 3x3 conv, stride 2. With padding 0 (the VAE encoder) the
/// input is first padded by one zero row and column at the bottom and right, as diffusers does.
/// </summary>
public sealed class Downsample2D : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly long _padding;

    public Downsample2D(long channels, long outChannels, long padding) : base(nameof(Downsample2D))
    {
        conv = nn.Conv2d(channels, outChannels, 3, stride: 2, padding: padding, device: ModuleBuild.Device);
        _padding = padding;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = _padding == 0 ? nn.functional.pad(x, (0, 1, 0, 1), PaddingModes.Constant, 0) : x;
        return scope.MoveToOuter(conv.forward(h));
    }
}
