using DiffusionEngine.Layers;
using DiffusionEngine.Unet;

namespace DiffusionEngine.SingleFile;

/// <summary>
/// The block structure of a U-Net that decides where each diffusers block sits in the original code's numbering
/// (<c>input_blocks.N</c>, <c>output_blocks.N</c>): how many levels, resnets per level, which levels have attention.
/// The original numbers every block of the down path in one sequence (conv_in, then per level its resnet(+attention)
/// blocks and a downsampler except at the deepest level) and the up path likewise, the upsampler sharing the level's
/// last block.
/// </summary>
internal sealed record UNetLayout
{
    /// <summary>Resnets per down level (diffusers' layers_per_block); up level i has one more than down level L-1-i.</summary>
    public required IReadOnlyList<int> LayersPerBlock { get; init; }

    /// <summary>Per down level: whether it is a cross-attention block (CrossAttnDownBlock2D).</summary>
    public required IReadOnlyList<bool> DownAttention { get; init; }

    /// <summary>Per up level, in diffusers' up-block order (deepest first): whether it is a cross-attention block.</summary>
    public required IReadOnlyList<bool> UpAttention { get; init; }

    /// <summary>Whether the U-Net has its cross-attention mid block (resnet, attention, resnet).</summary>
    public bool HasMidBlock { get; init; } = true;

    public int Levels => LayersPerBlock.Count;

    /// <summary>The layout of a U-Net config this engine builds.</summary>
    public static UNetLayout From(UNetConfig config) => new()
    {
        LayersPerBlock = config.LayersPerBlock,
        DownAttention = config.DownBlockTypes.Select(t => t == UNetConfig.CrossAttnDownBlock).ToArray(),
        UpAttention = config.UpBlockTypes.Select(t => t == UNetConfig.CrossAttnUpBlock).ToArray(),
        HasMidBlock = config.MidBlockType is not null,
    };

    /// <summary>
    /// Reads only the structural fields of a diffusers U-Net <c>config.json</c>, so a config whose features this engine
    /// does not build yet (SDXL's addition embeddings) still gives its key layout. Errors name the file and field.
    /// </summary>
    public static UNetLayout Load(string configJsonPath)
    {
        var j = ConfigJson.Load(configJsonPath);
        var defaults = new UNetConfig();
        var down = j.StringList("down_block_types", defaults.DownBlockTypes);
        var up = j.StringList("up_block_types", defaults.UpBlockTypes);
        int n = down.Count;
        if (n > ConfigLimits.Blocks) throw j.Error("down_block_types", $"has {n} blocks, more than this engine builds ({ConfigLimits.Blocks} at most)");
        if (up.Count != n) throw j.Error("up_block_types", $"has {up.Count} entries but down_block_types has {n}");
        var layers = j.IntPerBlock("layers_per_block", n, 2);
        foreach (var l in layers)
            if (l <= 0 || l > ConfigLimits.LayersPerBlock)
                throw j.Error("layers_per_block", $"must be 1..{ConfigLimits.LayersPerBlock}, found [{string.Join(", ", layers)}]");
        return new UNetLayout
        {
            LayersPerBlock = layers,
            DownAttention = down.Select(IsCrossAttention).ToArray(),
            UpAttention = up.Select(IsCrossAttention).ToArray(),
            HasMidBlock = j.NullableString("mid_block_type", UNetConfig.CrossAttnMidBlock) is not null,
        };
    }

    private static bool IsCrossAttention(string blockType) => blockType.StartsWith("CrossAttn", StringComparison.Ordinal);

    /// <summary>Resnets of up level <paramref name="upLevel"/>.</summary>
    public int UpResnets(int upLevel) => LayersPerBlock[Levels - 1 - upLevel] + 1;

    /// <summary>The <c>input_blocks</c> index of resnet (and attention) <paramref name="layer"/> of down level <paramref name="level"/>.</summary>
    public int InputBlock(int level, int layer) => FirstInputBlock(level) + layer;

    /// <summary>The <c>input_blocks</c> index of down level <paramref name="level"/>'s downsampler (every level but the deepest has one).</summary>
    public int DownsamplerBlock(int level) => FirstInputBlock(level) + LayersPerBlock[level];

    /// <summary>The <c>output_blocks</c> index of resnet (and attention) <paramref name="layer"/> of up level <paramref name="upLevel"/>.</summary>
    public int OutputBlock(int upLevel, int layer)
    {
        int first = 0;
        for (int k = 0; k < upLevel; k++) first += UpResnets(k);
        return first + layer;
    }

    // input_blocks.0 is conv_in; each shallower level then holds its resnets and its downsampler.
    private int FirstInputBlock(int level)
    {
        int first = 1;
        for (int k = 0; k < level; k++) first += LayersPerBlock[k] + 1;
        return first;
    }
}
