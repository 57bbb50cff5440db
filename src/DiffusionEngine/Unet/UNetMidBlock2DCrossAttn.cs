using DiffusionEngine.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionEngine.Unet;

/// <summary>diffusers' UNetMidBlock2DCrossAttn: resnet, then (Transformer2DModel, resnet), at constant width.</summary>
public sealed class UNetMidBlock2DCrossAttn : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly ModuleList<Transformer2DModel> attentions;
    private readonly ModuleList<ResnetBlock2D> resnets;

    public UNetMidBlock2DCrossAttn(long channels, long tembChannels, int transformerLayers, long groups, double eps,
        double outputScaleFactor, long heads, long crossAttentionDim, bool useLinearProjection, double dropout,
        int numLayers = 1) : base(nameof(UNetMidBlock2DCrossAttn))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, numLayers + 1)
            .Select(_ => new ResnetBlock2D(channels, channels, tembChannels, groups, eps, outputScaleFactor, dropout))
            .ToArray());
        attentions = nn.ModuleList(Enumerable.Range(0, numLayers)
            .Select(_ => new Transformer2DModel(heads, channels / heads, channels, transformerLayers, crossAttentionDim, groups, useLinearProjection, dropout))
            .ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor temb, Tensor encoderHiddenStates)
    {
        using var scope = NewDisposeScope();
        hidden = resnets[0].forward(hidden, temb);
        for (int i = 0; i < attentions.Count; i++)
        {
            hidden = attentions[i].forward(hidden, encoderHiddenStates);
            hidden = resnets[i + 1].forward(hidden, temb);
        }
        return scope.MoveToOuter(hidden);
    }
}
