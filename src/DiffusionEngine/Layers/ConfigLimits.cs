namespace DiffusionEngine.Layers;

/// <summary>
/// The largest values a model config may hold, checked before any module is built: a config asking for 10,000 layers
/// or a 10^9-word vocabulary is refused naming the field, instead of allocating until memory runs out. Each limit is
/// far above every published Stable Diffusion model (SD 1.5, SDXL: at most 10 transformer layers, 2,048 cross-attention
/// channels, 1,280 block channels, 49,408 words).
/// </summary>
public static class ConfigLimits
{
    public const int Blocks = 8;
    public const int LayersPerBlock = 16;
    public const int TransformerLayers = 64;
    public const int Channels = 8192;
    public const int Heads = 512;
    public const int InOutChannels = 64;
    public const int TimeEmbedDim = 16384;
    public const int VocabSize = 1_000_000;
    public const int HiddenSize = 8192;
    public const int IntermediateSize = 65536;
    public const int TextLayers = 128;
    public const int Positions = 4096;

    /// <summary>The message for a value above its limit.</summary>
    public static string TooLarge(long value, long limit) => $"is {value:N0}, more than this engine builds ({limit:N0} at most)";
}
