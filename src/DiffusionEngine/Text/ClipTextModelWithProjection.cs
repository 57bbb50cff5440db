using DiffusionEngine.Loading;
using DiffusionEngine.Safetensors;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace DiffusionEngine.Text;

/// <summary>
/// transformers' CLIPTextModelWithProjection (SDXL's second text encoder, OpenCLIP ViT-bigG): the CLIP text transformer
/// plus <c>text_projection</c>, a Linear without bias from the pooled output to <c>projection_dim</c>. Parameter names
/// equal the checkpoint's (<c>text_model.*</c>, <c>text_projection.weight</c>).
/// </summary>
public sealed class ClipTextModelWithProjection : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "text_model")]
    private readonly ClipTextTransformer _textModel;
    [ComponentName(Name = "text_projection")]
    private readonly Linear _projection;

    public ClipTextConfig Config { get; }

    /// <param name="device">Where to allocate (e.g. "meta" to inspect a tree without memory).</param>
    public ClipTextModelWithProjection(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipTextModelWithProjection))
    {
        config.Validate(nameof(ClipTextConfig));
        if (config.ProjectionDim is not > 0)
            throw new InvalidDataException($"{nameof(ClipTextConfig)}: 'projection_dim' must be positive for a text encoder with a projection");
        Config = config;
        _textModel = new ClipTextTransformer(config, device, dtype);
        _projection = nn.Linear(config.HiddenSize, config.ProjectionDim.Value, hasBias: false, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>Last and penultimate hidden states, and the projected pooled output text_embeds [B, projection_dim].</summary>
    /// <param name="inputIds">int64 [B, L]</param>
    /// <param name="learned">[K, hidden] token embeddings after the start token (see <see cref="ClipTextTransformer.Encode"/>).</param>
    public ClipTextOutput Encode(Tensor inputIds, Tensor? learned = null)
    {
        if (inputIds.dim() != 2 || inputIds.shape[1] > Config.MaxPositionEmbeddings)
            throw new ArgumentException($"input ids must be [batch, <= {Config.MaxPositionEmbeddings}], got [{string.Join(", ", inputIds.shape)}]", nameof(inputIds));
        var output = _textModel.Encode(inputIds, learned);
        var projected = _projection.forward(output.Pooled);
        output.Pooled.Dispose();
        return output with { Pooled = projected };
    }

    /// <summary>The input token embeddings of ids of any shape: [..., hidden].</summary>
    public Tensor EmbedTokens(Tensor ids) => _textModel.EmbedTokens(ids);

    /// <returns>last_hidden_state [B, L, hidden_size]</returns>
    public override Tensor forward(Tensor inputIds) => _textModel.forward(inputIds);
}
