using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionEngine.Layers;

/// <summary>
/// diffusers' Attention with its default scaled-dot-product processor: multi-head attention of
/// to_q(x) against to_k/to_v of the context (x itself for self-attention), then to_out.0. Accepts
/// tokens [B, N, C] or feature maps [B, C, H, W] (flattened to H*W tokens and restored). The VAE's
/// mid-block variant adds a GroupNorm before the projections and a residual connection.
/// </summary>
public sealed class Attention : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly GroupNorm? group_norm;
    private readonly Linear to_q;
    private readonly Linear to_k;
    private readonly Linear to_v;
    private readonly ModuleList<nn.Module<Tensor, Tensor>> to_out;
    private readonly long _heads;
    private readonly bool _residualConnection;
    private readonly double _rescaleOutputFactor;

    /// <param name="crossAttentionDim">Width of the context tokens; null for self-attention (= queryDim).</param>
    /// <param name="bias">Bias on to_q/to_k/to_v (false in transformer blocks, true in the VAE).</param>
    /// <param name="normNumGroups">Adds the VAE's group_norm over the input channels when set.</param>
    public Attention(long queryDim, long heads, long dimHead, long? crossAttentionDim = null, bool bias = false,
        bool outBias = true, double dropout = 0.0, long? normNumGroups = null, double normEps = 1e-5,
        bool residualConnection = false, double rescaleOutputFactor = 1.0) : base(nameof(Attention))
    {
        long inner = dimHead * heads;
        long contextDim = crossAttentionDim ?? queryDim;
        if (normNumGroups is { } groups) group_norm = Norms.GroupNorm(groups, queryDim, normEps);
        to_q = nn.Linear(queryDim, inner, hasBias: bias, device: ModuleBuild.Device);
        to_k = nn.Linear(contextDim, inner, hasBias: bias, device: ModuleBuild.Device);
        to_v = nn.Linear(contextDim, inner, hasBias: bias, device: ModuleBuild.Device);
        to_out = nn.ModuleList<nn.Module<Tensor, Tensor>>(nn.Linear(inner, queryDim, hasBias: outBias, device: ModuleBuild.Device), nn.Dropout(dropout));
        _heads = heads;
        _residualConnection = residualConnection;
        _rescaleOutputFactor = rescaleOutputFactor;
        RegisterComponents();
    }

    /// <param name="hidden">[B, N, C] tokens or [B, C, H, W] features.</param>
    /// <param name="encoderHiddenStates">[B, M, crossAttentionDim] context; null for self-attention.</param>
    public override Tensor forward(Tensor hidden, Tensor? encoderHiddenStates)
    {
        using var scope = NewDisposeScope();
        bool spatial = hidden.dim() == 4;
        long batch = hidden.shape[0];
        long channels = 0, height = 0, width = 0;
        var x = hidden;
        if (spatial)
        {
            (channels, height, width) = (hidden.shape[1], hidden.shape[2], hidden.shape[3]);
            x = hidden.reshape(batch, channels, height * width).transpose(1, 2);
        }
        if (group_norm is not null) x = group_norm.forward(x.transpose(1, 2)).transpose(1, 2);

        var context = encoderHiddenStates ?? x;
        var q = to_q.forward(x);
        var k = to_k.forward(context);
        var v = to_v.forward(context);
        long inner = k.shape[^1];
        long headDim = inner / _heads;
        // [B, tokens, heads*headDim] -> [B, heads, tokens, headDim]
        q = q.view(batch, -1, _heads, headDim).transpose(1, 2);
        k = k.view(batch, -1, _heads, headDim).transpose(1, 2);
        v = v.view(batch, -1, _heads, headDim).transpose(1, 2);
        var o = nn.functional.scaled_dot_product_attention(q, k, v);
        o = o.transpose(1, 2).reshape(batch, -1, _heads * headDim);
        o = to_out[0].forward(o);
        if (training) o = to_out[1].forward(o);

        if (spatial) o = o.transpose(-1, -2).reshape(batch, channels, height, width);
        if (_residualConnection) o = o + hidden;
        if (_rescaleOutputFactor != 1.0) o = o / _rescaleOutputFactor;
        return scope.MoveToOuter(o);
    }
}
