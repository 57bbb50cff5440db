using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace DiffusionEngine.Text;

/// <summary>
/// CLIP's causal multi-head self-attention: q/k/v/out projections with biases, scores scaled by
/// head_dim^-0.5, each position attending to itself and earlier positions only.
/// </summary>
public sealed class ClipAttention : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "q_proj")]
    private readonly Linear _query;
    [ComponentName(Name = "k_proj")]
    private readonly Linear _key;
    [ComponentName(Name = "v_proj")]
    private readonly Linear _value;
    [ComponentName(Name = "out_proj")]
    private readonly Linear _output;
    private readonly int _heads;
    private readonly int _headDim;

    public ClipAttention(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipAttention))
    {
        _heads = config.NumAttentionHeads;
        _headDim = config.HeadDim;
        int width = config.HiddenSize;
        _query = nn.Linear(width, width, hasBias: true, device: device, dtype: dtype);
        _key = nn.Linear(width, width, hasBias: true, device: device, dtype: dtype);
        _value = nn.Linear(width, width, hasBias: true, device: device, dtype: dtype);
        _output = nn.Linear(width, width, hasBias: true, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <param name="hidden">[B, L, C]</param>
    /// <returns>[B, L, C]</returns>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        long batch = hidden.shape[0], length = hidden.shape[1];
        var q = SplitHeads(_query.forward(hidden), batch, length);
        var k = SplitHeads(_key.forward(hidden), batch, length);
        var v = SplitHeads(_value.forward(hidden), batch, length);
        // SDPA's default scale is head_dim^-0.5, CLIP's; TorchSharp spells the flag "is_casual".
        var attended = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true); // [B, H, L, D]
        var merged = attended.transpose(1, 2).reshape(batch, length, _heads * _headDim);
        return scope.MoveToOuter(_output.forward(merged));
    }

    // [B, L, C] -> [B, H, L, D]
    private Tensor SplitHeads(Tensor x, long batch, long length) =>
        x.view(batch, length, _heads, _headDim).transpose(1, 2);
}
