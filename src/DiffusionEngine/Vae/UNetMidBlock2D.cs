using DiffusionEngine.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionEngine.Vae;

/// <summary>
/// diffusers' UNetMidBlock2D as the VAE uses it: resnet, single-head self-attention over all positions
/// (group_norm, residual; optional), resnet. No time embedding.
/// </summary>
public sealed class UNetMidBlock2D : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<Attention> attentions;
    private readonly ModuleList<ResnetBlock2D> resnets;

    public UNetMidBlock2D(long channels, long groups, double eps, bool addAttention) : base(nameof(UNetMidBlock2D))
    {
        resnets = nn.ModuleList(new ResnetBlock2D(channels, channels, null, groups, eps), new ResnetBlock2D(channels, channels, null, groups, eps));
        // attention_head_dim = channels: one head.
        attentions = addAttention
            ? nn.ModuleList(new Attention(channels, heads: 1, dimHead: channels, bias: true, normNumGroups: groups, normEps: eps, residualConnection: true))
            : nn.ModuleList<Attention>();
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        hidden = resnets[0].forward(hidden, null);
        if (attentions.Count > 0) hidden = attentions[0].forward(hidden, null);
        hidden = resnets[1].forward(hidden, null);
        return scope.MoveToOuter(hidden);
    }
}
