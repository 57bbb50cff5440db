using DiffusionEngine.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionEngine.Unet;

/// <summary>diffusers' DownBlock2D: resnets, then an optional stride-2 conv downsampler.</summary>
public sealed class DownBlock2D : UNetDownBlock
{
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<Downsample2D>? downsamplers;

    public DownBlock2D(long inChannels, long outChannels, long tembChannels, int numLayers, bool addDownsample,
        long groups, double eps, long downsamplePadding, double dropout) : base(nameof(DownBlock2D))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, numLayers)
            .Select(i => new ResnetBlock2D(i == 0 ? inChannels : outChannels, outChannels, tembChannels, groups, eps, dropout: dropout))
            .ToArray());
        if (addDownsample) downsamplers = nn.ModuleList(new Downsample2D(outChannels, outChannels, downsamplePadding));
        RegisterComponents();
    }

    public override Tensor Forward(Tensor hidden, Tensor temb, Tensor encoderHiddenStates, List<Tensor> skips)
    {
        using var scope = NewDisposeScope();
        var outputs = new List<Tensor>();
        foreach (var resnet in resnets)
        {
            hidden = resnet.forward(hidden, temb);
            outputs.Add(hidden);
        }
        if (downsamplers is not null)
        {
            hidden = downsamplers[0].forward(hidden);
            outputs.Add(hidden);
        }
        scope.MoveToOuter(outputs);
        skips.AddRange(outputs);
        return scope.MoveToOuter(hidden);
    }
}
