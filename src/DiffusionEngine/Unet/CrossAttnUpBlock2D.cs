using DiffusionEngine.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionEngine.Unet;

/// <summary>diffusers' CrossAttnUpBlock2D: (resnet over [hidden, skip], Transformer2DModel) pairs, then an optional upsampler.</summary>
public sealed class CrossAttnUpBlock2D : UNetUpBlock
{
    private readonly ModuleList<Transformer2DModel> attentions;
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<Upsample2D>? upsamplers;

    /// <param name="inChannels">Width of the deepest skip this block takes (its last resnet's).</param>
    /// <param name="prevOutputChannels">Width of the hidden state coming from below.</param>
    public CrossAttnUpBlock2D(long inChannels, long prevOutputChannels, long outChannels, long tembChannels, int numLayers,
        int transformerLayers, bool addUpsample, long groups, double eps, long heads, long crossAttentionDim,
        bool useLinearProjection, double dropout) : base(nameof(CrossAttnUpBlock2D))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, numLayers)
            .Select(i => new ResnetBlock2D(
                (i == 0 ? prevOutputChannels : outChannels) + (i == numLayers - 1 ? inChannels : outChannels),
                outChannels, tembChannels, groups, eps, dropout: dropout))
            .ToArray());
        attentions = nn.ModuleList(Enumerable.Range(0, numLayers)
            .Select(_ => new Transformer2DModel(heads, outChannels / heads, outChannels, transformerLayers, crossAttentionDim, groups, useLinearProjection, dropout))
            .ToArray());
        if (addUpsample) upsamplers = nn.ModuleList(new Upsample2D(outChannels, outChannels));
        RegisterComponents();
    }

    public override int ResnetCount => resnets.Count;

    public override Tensor Forward(Tensor hidden, IReadOnlyList<Tensor> skips, Tensor temb, Tensor encoderHiddenStates, long[]? upsampleSize)
    {
        using var scope = NewDisposeScope();
        for (int i = 0; i < resnets.Count; i++)
        {
            hidden = resnets[i].forward(cat([hidden, skips[skips.Count - 1 - i]], 1), temb);
            hidden = attentions[i].forward(hidden, encoderHiddenStates);
        }
        if (upsamplers is not null) hidden = upsamplers[0].forward(hidden, upsampleSize);
        return scope.MoveToOuter(hidden);
    }
}
