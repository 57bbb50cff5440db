using DiffusionEngine.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionEngine.Unet;

/// <summary>diffusers' CrossAttnDownBlock2D: (resnet, Transformer2DModel) pairs, then an optional downsampler.</summary>
public sealed class CrossAttnDownBlock2D : UNetDownBlock
{
    private readonly ModuleList<Transformer2DModel> attentions;
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<Downsample2D>? downsamplers;

    public CrossAttnDownBlock2D(long inChannels, long outChannels, long tembChannels, int numLayers, int transformerLayers,
        bool addDownsample, long groups, double eps, long downsamplePadding, long heads, long crossAttentionDim,
        bool useLinearProjection, double dropout) : base(nameof(CrossAttnDownBlock2D))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, numLayers)
            .Select(i => new ResnetBlock2D(i == 0 ? inChannels : outChannels, outChannels, tembChannels, groups, eps, dropout: dropout))
            .ToArray());
        attentions = nn.ModuleList(Enumerable.Range(0, numLayers)
            .Select(_ => new Transformer2DModel(heads, outChannels / heads, outChannels, transformerLayers, crossAttentionDim, groups, useLinearProjection, dropout))
            .ToArray());
        if (addDownsample) downsamplers = nn.ModuleList(new Downsample2D(outChannels, outChannels, downsamplePadding));
        RegisterComponents();
    }

    public override Tensor Forward(Tensor hidden, Tensor temb, Tensor encoderHiddenStates, List<Tensor> skips)
    {
        using var scope = NewDisposeScope();
        var outputs = new List<Tensor>();
        for (int i = 0; i < resnets.Count; i++)
        {
            hidden = resnets[i].forward(hidden, temb);
            hidden = attentions[i].forward(hidden, encoderHiddenStates);
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
