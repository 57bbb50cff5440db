using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace DiffusionEngine.Text;

/// <summary>One pre-LayerNorm transformer layer: x + attn(ln1(x)), then x + mlp(ln2(x)).</summary>
public sealed class ClipEncoderLayer : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "layer_norm1")]
    private readonly LayerNorm _norm1;
    [ComponentName(Name = "self_attn")]
    private readonly ClipAttention _attention;
    [ComponentName(Name = "layer_norm2")]
    private readonly LayerNorm _norm2;
    [ComponentName(Name = "mlp")]
    private readonly ClipMlp _mlp;

    public ClipEncoderLayer(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipEncoderLayer))
    {
        _attention = new ClipAttention(config, device, dtype);
        _norm1 = nn.LayerNorm([config.HiddenSize], eps: config.LayerNormEps, device: device, dtype: dtype);
        _mlp = new ClipMlp(config, device, dtype);
        _norm2 = nn.LayerNorm([config.HiddenSize], eps: config.LayerNormEps, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <param name="hidden">[B, L, C]</param>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var afterAttention = hidden + _attention.forward(_norm1.forward(hidden));
        var result = afterAttention + _mlp.forward(_norm2.forward(afterAttention));
        return scope.MoveToOuter(result);
    }
}
