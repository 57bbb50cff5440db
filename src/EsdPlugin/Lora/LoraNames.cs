using Host.Abstractions;

namespace EsdPlugin.Lora;

/// <summary>
/// How LoRA files name the U-Net's layers: <c>lora_unet_</c> and the layer's path in the original checkpoint layout with
/// dots as underscores (<c>lora_unet_input_blocks_1_1_transformer_blocks_0_attn2_to_k</c>), the form A1111, ComfyUI and
/// kohya's SDXL scripts share. Reading also takes kohya's SD 1.x form, the diffusers path
/// (<c>lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k</c>).
/// </summary>
internal sealed class LoraNames
{
    public const string Prefix = "lora_unet_";

    private readonly Dictionary<string, string> _written = new(StringComparer.Ordinal); // diffusers layer -> LoRA name
    private readonly Dictionary<string, string> _read = new(StringComparer.Ordinal);    // LoRA name (either form) -> diffusers layer

    public LoraNames(ILoadedModel model)
    {
        foreach (var (name, _) in model.Unet.named_parameters())
        {
            var layer = Layer(name);
            if (layer is null || _written.ContainsKey(layer)) continue;
            var original = model.OriginalUnetName(name) is { } o ? Layer(o) : null;
            var written = Prefix + (original ?? layer).Replace('.', '_');
            _written[layer] = written;
            _read[written] = layer;
            _read.TryAdd(Prefix + layer.Replace('.', '_'), layer);
        }
    }

    /// <summary>The LoRA name of the layer a parameter belongs to ("…attn2.to_k.weight" → "lora_unet_…attn2_to_k").</summary>
    public string Of(string parameter) =>
        Layer(parameter) is { } layer && _written.TryGetValue(layer, out var name) ? name
            : throw new ArgumentException($"'{parameter}' is not a weight or bias of a U-Net layer this model has");

    /// <summary>The diffusers layer a LoRA name stands for, or null when the model has none of that name.</summary>
    public string? LayerOf(string loraName) => _read.GetValueOrDefault(loraName);

    /// <summary>"a.b.weight" → "a.b"; null for a parameter that is not a weight or bias.</summary>
    public static string? Layer(string parameter) =>
        parameter.EndsWith(".weight", StringComparison.Ordinal) ? parameter[..^".weight".Length]
        : parameter.EndsWith(".bias", StringComparison.Ordinal) ? parameter[..^".bias".Length]
        : null;
}
