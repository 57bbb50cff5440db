using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace DiffusionEngine.Text;

/// <summary>transformers' CLIPTextTransformer (<c>text_model.*</c>): embeddings, encoder, final LayerNorm.</summary>
public sealed class ClipTextTransformer : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "embeddings")]
    private readonly ClipTextEmbeddings _embeddings;
    [ComponentName(Name = "encoder")]
    private readonly ClipEncoder _encoder;
    [ComponentName(Name = "final_layer_norm")]
    private readonly LayerNorm _finalNorm;

    public ClipTextTransformer(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipTextTransformer))
    {
        _embeddings = new ClipTextEmbeddings(config, device, dtype);
        _encoder = new ClipEncoder(config, device, dtype);
        _finalNorm = nn.LayerNorm([config.HiddenSize], eps: config.LayerNormEps, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>last_hidden_state (after the final LayerNorm), the penultimate hidden states (before it) and the pooled output.</summary>
    /// <param name="inputIds">int64 [B, L]</param>
    public ClipTextOutput Encode(Tensor inputIds)
    {
        using var scope = NewDisposeScope();
        var (last, penultimate) = _encoder.ForwardWithPenultimate(_embeddings.forward(inputIds));
        var normed = _finalNorm.forward(last);
        // transformers pools at argmax(input_ids) for these configs' legacy eos_token_id 2: the first end token (the
        // vocabulary's highest id), whatever the padding.
        var eos = inputIds.argmax(-1);                                                    // [B]
        var pooled = normed[arange(inputIds.shape[0], ScalarType.Int64, inputIds.device), eos]; // [B, C]
        return new ClipTextOutput(scope.MoveToOuter(normed), scope.MoveToOuter(penultimate), scope.MoveToOuter(pooled));
    }

    /// <param name="inputIds">int64 [B, L]</param>
    /// <returns>last_hidden_state [B, L, C], after the final LayerNorm</returns>
    public override Tensor forward(Tensor inputIds)
    {
        using var scope = NewDisposeScope();
        var hidden = _encoder.forward(_embeddings.forward(inputIds));
        return scope.MoveToOuter(_finalNorm.forward(hidden));
    }
}
