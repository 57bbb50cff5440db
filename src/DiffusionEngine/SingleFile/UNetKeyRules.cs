namespace DiffusionEngine.SingleFile;

/// <summary>
/// diffusers <c>UNet2DConditionModel</c> names to the original <c>UNetModel</c>'s (<c>model.diffusion_model.</c>), for
/// LDM (SD 1.x) and SGM (SDXL) files alike: block indices from the <see cref="UNetLayout"/>, resnet parts renamed,
/// attention blocks (<c>Transformer2DModel</c> / <c>SpatialTransformer</c>) unchanged inside. Every tensor is copied as it
/// is: <c>proj_in</c>/<c>proj_out</c> are 1x1 convolutions in SD 1.x files and Linear layers in SDXL files, as in the
/// matching diffusers configs (use_linear_projection).
/// </summary>
internal sealed class UNetKeyRules(UNetLayout layout) : ComponentKeyRules("unet", OriginalKeyPrefixes.Unet)
{
    public UNetLayout Layout { get; } = layout;

    public override TensorSource? SourceOf(string targetName)
    {
        var p = targetName.Split('.');
        string? key = p switch
        {
            ["time_embedding", "linear_1", .. var rest] => Join("time_embed.0", rest),
            ["time_embedding", "linear_2", .. var rest] => Join("time_embed.2", rest),
            // SDXL's size/crop conditioning MLP (addition_embed_type "text_time").
            ["add_embedding", "linear_1", .. var rest] => Join("label_emb.0.0", rest),
            ["add_embedding", "linear_2", .. var rest] => Join("label_emb.0.2", rest),
            ["conv_in", .. var rest] => Join("input_blocks.0.0", rest),
            ["conv_norm_out", .. var rest] => Join("out.0", rest),
            ["conv_out", .. var rest] => Join("out.2", rest),
            ["down_blocks", var i, .. var rest] => DownBlock(Index(i), rest),
            ["mid_block", .. var rest] when Layout.HasMidBlock => MidBlock(rest),
            ["up_blocks", var i, .. var rest] => UpBlock(Index(i), rest),
            _ => null,
        };
        return key is null ? null : TensorSource.Copied(Prefix + key);
    }

    private string? DownBlock(int level, string[] rest)
    {
        if (level < 0 || level >= Layout.Levels) return null;
        int layers = Layout.LayersPerBlock[level];
        return rest switch
        {
            ["resnets", var j, .. var r] when Index(j) is var n && n >= 0 && n < layers =>
                Resnet($"input_blocks.{Layout.InputBlock(level, n)}.0", r),
            ["attentions", var j, .. var r] when Layout.DownAttention[level] && Index(j) is var n && n >= 0 && n < layers =>
                Join($"input_blocks.{Layout.InputBlock(level, n)}.1", r),
            ["downsamplers", "0", "conv", .. var r] when level < Layout.Levels - 1 =>
                Join($"input_blocks.{Layout.DownsamplerBlock(level)}.0.op", r),
            _ => null,
        };
    }

    private string? MidBlock(string[] rest) => rest switch
    {
        ["resnets", "0", .. var r] => Resnet("middle_block.0", r),
        ["attentions", "0", .. var r] => Join("middle_block.1", r),
        ["resnets", "1", .. var r] => Resnet("middle_block.2", r),
        _ => null,
    };

    private string? UpBlock(int level, string[] rest)
    {
        if (level < 0 || level >= Layout.Levels) return null;
        int resnets = Layout.UpResnets(level);
        bool attention = Layout.UpAttention[level];
        return rest switch
        {
            ["resnets", var j, .. var r] when Index(j) is var n && n >= 0 && n < resnets =>
                Resnet($"output_blocks.{Layout.OutputBlock(level, n)}.0", r),
            ["attentions", var j, .. var r] when attention && Index(j) is var n && n >= 0 && n < resnets =>
                Join($"output_blocks.{Layout.OutputBlock(level, n)}.1", r),
            // The upsampler shares the level's last block, after its resnet (.0) and attention (.1) when there is one.
            ["upsamplers", "0", "conv", .. var r] when level < Layout.Levels - 1 =>
                Join($"output_blocks.{Layout.OutputBlock(level, resnets - 1)}.{(attention ? 2 : 1)}.conv", r),
            _ => null,
        };
    }

    /// <summary>The original ResBlock's Sequential indices for diffusers' ResnetBlock2D parts.</summary>
    private static string? Resnet(string block, string[] rest) => rest switch
    {
        ["norm1", .. var r] => Join($"{block}.in_layers.0", r),
        ["conv1", .. var r] => Join($"{block}.in_layers.2", r),
        ["time_emb_proj", .. var r] => Join($"{block}.emb_layers.1", r),
        ["norm2", .. var r] => Join($"{block}.out_layers.0", r),
        ["conv2", .. var r] => Join($"{block}.out_layers.3", r),
        ["conv_shortcut", .. var r] => Join($"{block}.skip_connection", r),
        _ => null,
    };

    /// <summary>A block prefix and the rest of the name (at least the parameter's own name).</summary>
    internal static string? Join(string head, string[] rest) => rest.Length == 0 ? null : head + "." + string.Join('.', rest);

    /// <summary>A block index as written in a name; -1 for anything else.</summary>
    internal static int Index(string part) =>
        part.Length is > 0 and < 4 && part.All(char.IsAsciiDigit) ? int.Parse(part, System.Globalization.CultureInfo.InvariantCulture) : -1;
}
