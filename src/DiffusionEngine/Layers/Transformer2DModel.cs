using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionEngine.Layers;

/// <summary>
/// diffusers' Transformer2DModel on continuous input: GroupNorm (eps 1e-6), proj_in (1x1 conv, or Linear
/// with use_linear_projection), a stack of BasicTransformerBlocks over the H*W tokens, proj_out, plus the
/// input as residual.
/// </summary>
public sealed class Transformer2DModel : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly GroupNorm norm;
    private readonly nn.Module<Tensor, Tensor> proj_in;
    private readonly ModuleList<BasicTransformerBlock> transformer_blocks;
    private readonly nn.Module<Tensor, Tensor> proj_out;
    private readonly bool _linearProjection;

    public Transformer2DModel(long heads, long headDim, long inChannels, long numLayers, long crossAttentionDim,
        long normNumGroups, bool useLinearProjection, double dropout = 0.0) : base(nameof(Transformer2DModel))
    {
        long inner = heads * headDim;
        norm = Norms.GroupNorm(normNumGroups, inChannels, 1e-6);
        proj_in = useLinearProjection ? nn.Linear(inChannels, inner, device: ModuleBuild.Device) : nn.Conv2d(inChannels, inner, 1, device: ModuleBuild.Device);
        transformer_blocks = nn.ModuleList(Enumerable.Range(0, checked((int)numLayers))
            .Select(_ => new BasicTransformerBlock(inner, heads, headDim, crossAttentionDim, dropout)).ToArray());
        proj_out = useLinearProjection ? nn.Linear(inner, inChannels, device: ModuleBuild.Device) : nn.Conv2d(inner, inChannels, 1, device: ModuleBuild.Device);
        _linearProjection = useLinearProjection;
        RegisterComponents();
    }

    /// <param name="x">[B, C, H, W]</param>
    /// <param name="context">[B, M, crossAttentionDim]</param>
    /// <returns>[B, C, H, W]</returns>
    public override Tensor forward(Tensor x, Tensor context)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], height = x.shape[2], width = x.shape[3];
        var h = norm.forward(x);
        if (!_linearProjection) h = proj_in.forward(h);
        long inner = h.shape[1];
        // [B, inner, H, W] -> [B, H*W, inner]
        h = h.permute(0, 2, 3, 1).reshape(batch, height * width, inner);
        if (_linearProjection) h = proj_in.forward(h);
        foreach (var block in transformer_blocks) h = block.forward(h, context);
        if (_linearProjection) h = proj_out.forward(h);
        h = h.reshape(batch, height, width, -1).permute(0, 3, 1, 2).contiguous();
        if (!_linearProjection) h = proj_out.forward(h);
        return scope.MoveToOuter(h + x);
    }
}
