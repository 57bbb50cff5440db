using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace DiffusionEngine.Text;

/// <summary>
/// The fields of transformers' CLIPTextConfig that shape the text encoder. Absent keys take transformers'
/// defaults. The file's bos/eos/pad ids are ignored: SD 1.x configs carry stale ones, the tokenizer's rule.
/// </summary>
public sealed record ClipTextConfig(
    int VocabSize = 49408,
    int HiddenSize = 512,
    int IntermediateSize = 2048,
    int NumHiddenLayers = 12,
    int NumAttentionHeads = 8,
    int MaxPositionEmbeddings = 77,
    double LayerNormEps = 1e-5,
    string HiddenAct = "quick_gelu",
    int? ProjectionDim = null)
{
    public static readonly IReadOnlySet<string> SupportedActivations =
        new HashSet<string>(StringComparer.Ordinal) { "quick_gelu", "gelu", "gelu_new", "gelu_pytorch_tanh" };

    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>Reads a text encoder's <c>config.json</c> (or a full CLIPConfig, using its <c>text_config</c>).</summary>
    public static ClipTextConfig Load(string configJsonPath)
    {
        if (!File.Exists(configJsonPath)) throw new FileNotFoundException($"{configJsonPath}: no such file (the text encoder's config.json)", configJsonPath);
        return Parse(File.ReadAllText(configJsonPath), configJsonPath);
    }

    /// <param name="source">Names the text in error messages (usually its path).</param>
    public static ClipTextConfig Parse(string json, string source)
    {
        JObject root;
        try { root = JObject.Parse(json); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: not valid JSON ({e.Message})", e); }
        if (root["text_config"] is JObject nested) root = nested;

        var defaults = new ClipTextConfig();
        var config = new ClipTextConfig(
            VocabSize: Int(root, "vocab_size", defaults.VocabSize, source),
            HiddenSize: Int(root, "hidden_size", defaults.HiddenSize, source),
            IntermediateSize: Int(root, "intermediate_size", defaults.IntermediateSize, source),
            NumHiddenLayers: Int(root, "num_hidden_layers", defaults.NumHiddenLayers, source),
            NumAttentionHeads: Int(root, "num_attention_heads", defaults.NumAttentionHeads, source),
            MaxPositionEmbeddings: Int(root, "max_position_embeddings", defaults.MaxPositionEmbeddings, source),
            LayerNormEps: Double(root, "layer_norm_eps", defaults.LayerNormEps, source),
            HiddenAct: String(root, "hidden_act", defaults.HiddenAct, source),
            ProjectionDim: root["projection_dim"] is { Type: JTokenType.Integer } ? Int(root, "projection_dim", 0, source) : null);
        config.Validate(source);
        return config;
    }

    public void Validate(string source)
    {
        void Positive(string field, long value)
        {
            if (value <= 0) throw new InvalidDataException($"{source}: '{field}' must be positive, found {value}");
        }
        void AtMost(string field, long value, long limit)
        {
            if (value > limit) throw new InvalidDataException($"{source}: '{field}' {Layers.ConfigLimits.TooLarge(value, limit)}");
        }
        AtMost("vocab_size", VocabSize, Layers.ConfigLimits.VocabSize);
        AtMost("hidden_size", HiddenSize, Layers.ConfigLimits.HiddenSize);
        AtMost("intermediate_size", IntermediateSize, Layers.ConfigLimits.IntermediateSize);
        AtMost("num_hidden_layers", NumHiddenLayers, Layers.ConfigLimits.TextLayers);
        AtMost("num_attention_heads", NumAttentionHeads, Layers.ConfigLimits.Heads);
        AtMost("max_position_embeddings", MaxPositionEmbeddings, Layers.ConfigLimits.Positions);
        Positive("vocab_size", VocabSize);
        Positive("hidden_size", HiddenSize);
        Positive("intermediate_size", IntermediateSize);
        Positive("num_hidden_layers", NumHiddenLayers);
        Positive("num_attention_heads", NumAttentionHeads);
        Positive("max_position_embeddings", MaxPositionEmbeddings);
        if (HiddenSize % NumAttentionHeads != 0)
            throw new InvalidDataException($"{source}: 'hidden_size' ({HiddenSize}) must be divisible by 'num_attention_heads' ({NumAttentionHeads})");
        if (!(LayerNormEps > 0)) throw new InvalidDataException($"{source}: 'layer_norm_eps' must be positive, found {LayerNormEps}");
        if (!SupportedActivations.Contains(HiddenAct))
            throw new InvalidDataException($"{source}: 'hidden_act' is '{HiddenAct}', expected one of {string.Join(", ", SupportedActivations)}");
    }

    private static JToken? Field(JObject o, string name) => o[name] is { Type: not JTokenType.Null } t ? t : null;

    private static int Int(JObject o, string name, int fallback, string source) => Field(o, name) switch
    {
        null => fallback,
        { Type: JTokenType.Integer } t => (int)t,
        var t => throw new InvalidDataException($"{source}: '{name}' should be an integer, found {t.Type} {t.ToString(Formatting.None)}"),
    };

    private static double Double(JObject o, string name, double fallback, string source) => Field(o, name) switch
    {
        null => fallback,
        { Type: JTokenType.Integer or JTokenType.Float } t => (double)t,
        var t => throw new InvalidDataException($"{source}: '{name}' should be a number, found {t.Type} {t.ToString(Formatting.None)}"),
    };

    private static string String(JObject o, string name, string fallback, string source) => Field(o, name) switch
    {
        null => fallback,
        { Type: JTokenType.String } t => (string)t!,
        var t => throw new InvalidDataException($"{source}: '{name}' should be a string, found {t.Type} {t.ToString(Formatting.None)}"),
    };
}
