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
    /// <param name="learned">[K, C] token embeddings spliced in after the start token (<see cref="ClipTextEmbeddings.ForwardWithLearned"/>); batch 1 only.</param>
    public ClipTextOutput Encode(Tensor inputIds, Tensor? learned = null)
    {
        using var scope = NewDisposeScope();
        if (learned is not null)
        {
            if (inputIds.shape[0] != 1) throw new ArgumentException("learned tokens encode one prompt at a time", nameof(inputIds));
            if (learned.dim() != 2 || learned.shape[1] != _embeddings.Width || learned.shape[0] < 1 || learned.shape[0] > inputIds.shape[1] - 2)
                throw new ArgumentException($"learned tokens must be [K, {_embeddings.Width}] with 1 <= K <= {inputIds.shape[1] - 2}, got [{string.Join(", ", learned.shape)}]", nameof(learned));
        }
        var embedded = learned is null ? _embeddings.forward(inputIds) : _embeddings.ForwardWithLearned(inputIds, learned);
        // The ids as the encoder now sees them (learned tokens as id 0), so pooling finds the moved end token.
        if (learned is not null)
            inputIds = cat([inputIds[.., ..1], zeros([1, learned.shape[0]], inputIds.dtype, inputIds.device), inputIds[.., 1..(int)(inputIds.shape[1] - learned.shape[0])]], 1);
        var (last, penultimate) = _encoder.ForwardWithPenultimate(embedded);
        var normed = _finalNorm.forward(last);
        // transformers pools at argmax(input_ids) for these configs' legacy eos_token_id 2: the first end token (the
        // vocabulary's highest id), whatever the padding.
        var eos = inputIds.argmax(-1);                                                    // [B]
        var pooled = normed[arange(inputIds.shape[0], ScalarType.Int64, inputIds.device), eos]; // [B, C]
        return new ClipTextOutput(scope.MoveToOuter(normed), scope.MoveToOuter(penultimate), scope.MoveToOuter(pooled));
    }

    /// <summary>The input token embeddings of ids of any shape: [..., C].</summary>
    public Tensor EmbedTokens(Tensor ids) => _embeddings.EmbedTokens(ids);

    /// <param name="inputIds">int64 [B, L]</param>
    /// <returns>last_hidden_state [B, L, C], after the final LayerNorm</returns>
    public override Tensor forward(Tensor inputIds)
    {
        using var scope = NewDisposeScope();
        var hidden = _encoder.forward(_embeddings.forward(inputIds));
        return scope.MoveToOuter(_finalNorm.forward(hidden));
    }
}
