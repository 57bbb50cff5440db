using DiffusionEngine.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionEngine.Vae;

/// <summary>diffusers' DownEncoderBlock2D: resnets without time embedding, then an optional downsampler.</summary>
public sealed class DownEncoderBlock2D : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<Downsample2D>? downsamplers;

    public DownEncoderBlock2D(long inChannels, long outChannels, int numLayers, bool addDownsample, long groups, double eps,
        long downsamplePadding) : base(nameof(DownEncoderBlock2D))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, numLayers)
            .Select(i => new ResnetBlock2D(i == 0 ? inChannels : outChannels, outChannels, null, groups, eps))
            .ToArray());
        if (addDownsample) downsamplers = nn.ModuleList(new Downsample2D(outChannels, outChannels, downsamplePadding));
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        foreach (var resnet in resnets) hidden = resnet.forward(hidden, null);
        if (downsamplers is not null) hidden = downsamplers[0].forward(hidden);
        return scope.MoveToOuter(hidden);
    }
}
