using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace DiffusionEngine.Text;

/// <summary>
/// Token embedding plus learned absolute position embedding. Positions are 0..L-1; transformers keeps them
/// in a <c>position_ids</c> buffer that some files contain, so it is not part of this module's state.
/// </summary>
public sealed class ClipTextEmbeddings : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "token_embedding")]
    private readonly Embedding _tokens;
    [ComponentName(Name = "position_embedding")]
    private readonly Embedding _positions;

    public ClipTextEmbeddings(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipTextEmbeddings))
    {
        MaxPositions = config.MaxPositionEmbeddings;
        _tokens = nn.Embedding(config.VocabSize, config.HiddenSize, device: device, dtype: dtype);
        _positions = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize, device: device, dtype: dtype);
        RegisterComponents();
    }

    public int MaxPositions { get; }

    /// <summary>The embedding width C.</summary>
    public long Width => _tokens.weight!.shape[1];

    /// <summary>The token embeddings alone (no positions) of ids of any shape: [..., C].</summary>
    public Tensor EmbedTokens(Tensor ids) => _tokens.forward(ids);

    /// <summary>
    /// Embeddings with <paramref name="learned"/> [K, C] spliced in right after the first (start) token, the prompt's
    /// tokens moved K places on and its last K cut, so the length stays L: how learned prompt tokens (textual inversion,
    /// the embedding attacks) enter the encoder. Gradients flow into <paramref name="learned"/>.
    /// </summary>
    /// <param name="inputIds">int64 [1, L]</param>
    /// <returns>[1, L, C]</returns>
    public Tensor ForwardWithLearned(Tensor inputIds, Tensor learned)
    {
        using var scope = NewDisposeScope();
        long length = inputIds.shape[^1], k = learned.shape[0];
        var tokens = _tokens.forward(inputIds);                                           // [1, L, C]
        var spliced = cat([tokens[.., ..1], learned.to(tokens.dtype).unsqueeze(0), tokens[.., 1..(int)(length - k)]], 1);
        var positionIds = arange(length, ScalarType.Int64, inputIds.device).unsqueeze(0); // [1, L]
        return scope.MoveToOuter(spliced + _positions.forward(positionIds));
    }

    /// <param name="inputIds">int64 [B, L], L &lt;= max_position_embeddings</param>
    /// <returns>[B, L, C]</returns>
    public override Tensor forward(Tensor inputIds)
    {
        using var scope = NewDisposeScope();
        long length = inputIds.shape[^1];
        var positionIds = arange(length, ScalarType.Int64, inputIds.device).unsqueeze(0); // [1, L]
        var result = _tokens.forward(inputIds) + _positions.forward(positionIds);
        return scope.MoveToOuter(result);
    }
}
