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
