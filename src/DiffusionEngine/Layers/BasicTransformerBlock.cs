using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionEngine.Layers;

/// <summary>
/// diffusers' BasicTransformerBlock with layer_norm: pre-LN self-attention (attn1), cross-attention to the
/// text context (attn2), GEGLU feed-forward, each added back to the residual stream.
/// </summary>
public sealed class BasicTransformerBlock : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly Attention attn1;
    private readonly LayerNorm norm2;
    private readonly Attention attn2;
    private readonly LayerNorm norm3;
    private readonly FeedForward ff;

    public BasicTransformerBlock(long dim, long heads, long headDim, long crossAttentionDim,
        double dropout = 0.0, double normEps = 1e-5) : base(nameof(BasicTransformerBlock))
    {
        norm1 = nn.LayerNorm([dim], eps: normEps, device: ModuleBuild.Device);
        attn1 = new Attention(dim, heads, headDim, crossAttentionDim: null, bias: false, dropout: dropout);
        norm2 = nn.LayerNorm([dim], eps: normEps, device: ModuleBuild.Device);
        attn2 = new Attention(dim, heads, headDim, crossAttentionDim: crossAttentionDim, bias: false, dropout: dropout);
        norm3 = nn.LayerNorm([dim], eps: normEps, device: ModuleBuild.Device);
        ff = new FeedForward(dim, dropout: dropout);
        RegisterComponents();
    }

    /// <param name="x">[B, N, dim] tokens</param>
    /// <param name="context">[B, M, crossAttentionDim]</param>
    public override Tensor forward(Tensor x, Tensor context)
    {
        using var scope = NewDisposeScope();
        var h = attn1.forward(norm1.forward(x), null) + x;
        h = attn2.forward(norm2.forward(h), context) + h;
        h = ff.forward(norm3.forward(h)) + h;
        return scope.MoveToOuter(h);
    }
}
