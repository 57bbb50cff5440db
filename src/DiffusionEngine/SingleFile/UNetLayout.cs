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
