using DiffusionEngine.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionEngine.Vae;

/// <summary>diffusers' UpDecoderBlock2D: resnets without time embedding, then an optional x2 upsampler.</summary>
public sealed class UpDecoderBlock2D : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<Upsample2D>? upsamplers;

    public UpDecoderBlock2D(long inChannels, long outChannels, int numLayers, bool addUpsample, long groups, double eps)
        : base(nameof(UpDecoderBlock2D))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, numLayers)
            .Select(i => new ResnetBlock2D(i == 0 ? inChannels : outChannels, outChannels, null, groups, eps))
            .ToArray());
        if (addUpsample) upsamplers = nn.ModuleList(new Upsample2D(outChannels, outChannels));
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        foreach (var resnet in resnets) hidden = resnet.forward(hidden, null);
        if (upsamplers is not null) hidden = upsamplers[0].forward(hidden, null);
        return scope.MoveToOuter(hidden);
    }
}
