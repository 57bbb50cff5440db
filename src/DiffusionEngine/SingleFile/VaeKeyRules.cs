namespace DiffusionEngine.SingleFile;

/// <summary>
/// diffusers <c>AutoencoderKL</c> names to the original's (<c>first_stage_model.</c>): <c>down_blocks.i.resnets.j</c> ->
/// <c>down.i.block.j</c>; the decoder's levels numbered from the deepest (<c>up_blocks.i</c> -> <c>up.{L-1-i}</c>); the
/// mid block as <c>mid.block_1</c>, <c>mid.attn_1</c>, <c>mid.block_2</c>, whose attention is made of 1x1 convolutions
/// (its q/k/v/proj_out weights are reshaped to diffusers' Linear weights).
/// </summary>
internal sealed class VaeKeyRules(int levels) : ComponentKeyRules("vae", OriginalKeyPrefixes.Vae)
{
    /// <summary>Resolution levels of the encoder and decoder (diffusers' <c>len(block_out_channels)</c>).</summary>
    public int Levels { get; } = levels > 0 ? levels : throw new ArgumentOutOfRangeException(nameof(levels), levels, "a VAE has at least one level");

    public override TensorSource? SourceOf(string targetName)
    {
        var p = targetName.Split('.');
        return p switch
        {
            ["quant_conv" or "post_quant_conv", ..] => TensorSource.Copied(Prefix + targetName),
            ["encoder" or "decoder", "conv_in" or "conv_out", ..] => TensorSource.Copied(Prefix + targetName),
            [var coder and ("encoder" or "decoder"), "conv_norm_out", .. var r] => Copied($"{coder}.norm_out", r),
            [var coder and ("encoder" or "decoder"), "mid_block", .. var r] => MidBlock(coder, r),
            ["encoder", "down_blocks", var i, .. var r] when Level(i) is var level and >= 0 => Level(level, "encoder.down", "downsamplers", "downsample", r),
            // The original numbers the decoder's levels as the encoder's, from the shallowest; diffusers from the deepest.
            ["decoder", "up_blocks", var i, .. var r] when Level(i) is var level and >= 0 => Level(Levels - 1 - level, "decoder.up", "upsamplers", "upsample", r),
            _ => null,
        };
    }

    private TensorSource? Level(int level, string head, string diffusersSampler, string originalSampler, string[] rest) => rest switch
    {
        ["resnets", var j, .. var r] when UNetKeyRules.Index(j) >= 0 => Resnet($"{head}.{level}.block.{j}", r),
        [var sampler, "0", "conv", .. var r] when sampler == diffusersSampler => Copied($"{head}.{level}.{originalSampler}.conv", r),
        _ => null,
    };

    private TensorSource? MidBlock(string coder, string[] rest) => rest switch
    {
        ["resnets", "0", .. var r] => Resnet($"{coder}.mid.block_1", r),
        ["resnets", "1", .. var r] => Resnet($"{coder}.mid.block_2", r),
        ["attentions", "0", "group_norm", .. var r] => Copied($"{coder}.mid.attn_1.norm", r),
        ["attentions", "0", "to_q", var param] => Attention($"{coder}.mid.attn_1.q", param),
        ["attentions", "0", "to_k", var param] => Attention($"{coder}.mid.attn_1.k", param),
        ["attentions", "0", "to_v", var param] => Attention($"{coder}.mid.attn_1.v", param),
        ["attentions", "0", "to_out", "0", var param] => Attention($"{coder}.mid.attn_1.proj_out", param),
        _ => null,
    };

    /// <summary>The original's 1x1-conv attention projection: its weight reshaped, its bias as it is.</summary>
    private TensorSource Attention(string head, string param) =>
        new(Prefix + head + "." + param, param == "weight" ? new TensorTransform.Reshape() : new TensorTransform.Copy());

    private TensorSource? Resnet(string block, string[] rest) => rest switch
    {
        ["norm1" or "conv1" or "norm2" or "conv2", ..] => Copied(block, rest),
        ["conv_shortcut", .. var r] => Copied($"{block}.nin_shortcut", r),
        _ => null,
    };

    private TensorSource? Copied(string head, string[] rest) =>
        UNetKeyRules.Join(head, rest) is { } key ? TensorSource.Copied(Prefix + key) : null;

    private int Level(string part) => UNetKeyRules.Index(part) is var i && i < Levels ? i : -1;
}
