using DiffusionEngine.Loading;
using DiffusionEngine.Safetensors;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace DiffusionEngine.Text;

/// <summary>
/// transformers' CLIPTextModel as Stable Diffusion 1.x uses it: token ids [B, 77] to last_hidden_state
/// [B, 77, hidden] after the final LayerNorm, causal attention, no padding mask. Parameter names equal the
/// checkpoint's (<c>text_model.embeddings.token_embedding.weight</c>, <c>text_model.encoder.layers.0.self_attn.q_proj.weight</c>, ...).
/// </summary>
public sealed class ClipTextModel : nn.Module<Tensor, Tensor>
{
    public const string WeightsFileName = "model.safetensors";
    public const string ConfigFileName = "config.json";
    public const string PositionIdsName = "text_model.embeddings.position_ids";

    [ComponentName(Name = "text_model")]

    private readonly ClipTextTransformer _textModel;

    /// <summary>
    /// Tensors a checkpoint may hold that the module does not: transformers' <c>position_ids</c> buffer
    /// (in older files such as SD 1.5's; always 0..76). Pass as WeightLoader's <c>optional</c>.
    /// </summary>
    public static IReadOnlySet<string> OptionalTensors { get; } = new HashSet<string>(StringComparer.Ordinal) { PositionIdsName };

    public ClipTextConfig Config { get; }

    /// <summary>Builds the module tree from a config with freshly initialised weights.</summary>
    /// <param name="device">Where to allocate (e.g. "meta" to inspect a tree without memory).</param>
    public ClipTextModel(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipTextModel))
    {
        config.Validate(nameof(ClipTextConfig));
        Config = config;
        _textModel = new ClipTextTransformer(config, device, dtype);
        RegisterComponents();
    }

    /// <summary>
    /// Builds from <c>config.json</c> and loads <c>model.safetensors</c> of a text encoder folder (all names
    /// must match; throws <see cref="ModelLoadException"/> naming what does not).
    /// </summary>
    public static ClipTextModel FromFolder(string textEncoderDir, out LoadReport report)
    {
        var config = ClipTextConfig.Load(Path.Combine(textEncoderDir, ConfigFileName));
        var model = new ClipTextModel(config);
        try
        {
            using var file = SafetensorsFile.Open(Path.Combine(textEncoderDir, WeightsFileName));
            report = WeightLoader.Load("text_encoder", model, file, optional: OptionalTensors);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Last, penultimate and pooled outputs (see <see cref="ClipTextOutput"/>).</summary>
    /// <param name="inputIds">int64 [B, L]</param>
    /// <param name="learned">[K, hidden] token embeddings after the start token (see <see cref="ClipTextTransformer.Encode"/>).</param>
    public ClipTextOutput Encode(Tensor inputIds, Tensor? learned = null)
    {
        Check(inputIds);
        return _textModel.Encode(inputIds, learned);
    }

    /// <summary>The input token embeddings of ids of any shape: [..., hidden].</summary>
    public Tensor EmbedTokens(Tensor ids) => _textModel.EmbedTokens(ids);

    /// <param name="inputIds">int64 [B, L], L &lt;= max_position_embeddings (77)</param>
    /// <returns>last_hidden_state [B, L, hidden_size]</returns>
    public override Tensor forward(Tensor inputIds)
    {
        Check(inputIds);
        return _textModel.forward(inputIds);
    }

    private void Check(Tensor inputIds)
    {
        if (inputIds.dim() != 2)
            throw new ArgumentException($"input ids must be [batch, length], got [{string.Join(", ", inputIds.shape)}]", nameof(inputIds));
        if (inputIds.dtype is not (ScalarType.Int64 or ScalarType.Int32))
            throw new ArgumentException($"input ids must be int64, got {inputIds.dtype}", nameof(inputIds));
        if (inputIds.shape[1] > Config.MaxPositionEmbeddings)
            throw new ArgumentException($"{inputIds.shape[1]} tokens exceed max_position_embeddings ({Config.MaxPositionEmbeddings})", nameof(inputIds));
    }
}
