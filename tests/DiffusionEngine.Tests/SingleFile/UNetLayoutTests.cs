using DiffusionEngine.SingleFile;
using DiffusionEngine.StableDiffusion;
using DiffusionEngine.Unet;
using TestUtilities;

namespace DiffusionEngine.Tests.SingleFile;

/// <summary>The block arithmetic against the published models' key names (the fixtures' configs keep their structure).</summary>
public class UNetLayoutTests
{
    private static readonly Lazy<SingleFileLayout> SdxlBase = new(() => SingleFileModelLoader.LayoutFor(CheckpointFamily.StableDiffusionXL,
        SingleFileModelLoader.ConfigFolder(null, CheckpointFamily.StableDiffusionXL)));

    [Theory]
    // SDXL base 1.0 (sd_xl_base_1.0.safetensors): 3 levels, 2 resnets, attention at levels 1 and 2 with 2 and 10 transformer layers.
    [InlineData("down_blocks.0.resnets.1.conv1.weight", "model.diffusion_model.input_blocks.2.0.in_layers.2.weight")]
    [InlineData("down_blocks.0.downsamplers.0.conv.bias", "model.diffusion_model.input_blocks.3.0.op.bias")]
    [InlineData("down_blocks.2.attentions.1.transformer_blocks.9.attn2.to_k.weight", "model.diffusion_model.input_blocks.8.1.transformer_blocks.9.attn2.to_k.weight")]
    [InlineData("mid_block.attentions.0.transformer_blocks.9.ff.net.2.weight", "model.diffusion_model.middle_block.1.transformer_blocks.9.ff.net.2.weight")]
    [InlineData("up_blocks.0.attentions.2.proj_out.weight", "model.diffusion_model.output_blocks.2.1.proj_out.weight")]
    [InlineData("up_blocks.0.upsamplers.0.conv.weight", "model.diffusion_model.output_blocks.2.2.conv.weight")]
    [InlineData("up_blocks.1.attentions.2.transformer_blocks.1.attn1.to_v.weight", "model.diffusion_model.output_blocks.5.1.transformer_blocks.1.attn1.to_v.weight")]
    [InlineData("up_blocks.1.upsamplers.0.conv.weight", "model.diffusion_model.output_blocks.5.2.conv.weight")]
    [InlineData("up_blocks.2.resnets.2.conv_shortcut.weight", "model.diffusion_model.output_blocks.8.0.skip_connection.weight")]
    [InlineData("add_embedding.linear_2.bias", "model.diffusion_model.label_emb.0.2.bias")]
    public void TheSdxlBaseConfigGivesSdxlBasesKeys(string diffusers, string original) =>
        Assert.Equal(original, SdxlBase.Value.Component("unet").SourceOf(diffusers)?.Key);

    [Theory]
    // SD 1.5 (v1-5-pruned-emaonly): 4 levels, 2 resnets, attention at levels 0-2 down and 1-3 up.
    [InlineData("down_blocks.3.resnets.1.time_emb_proj.weight", "model.diffusion_model.input_blocks.11.0.emb_layers.1.weight")]
    [InlineData("down_blocks.2.downsamplers.0.conv.weight", "model.diffusion_model.input_blocks.9.0.op.weight")]
    [InlineData("up_blocks.0.upsamplers.0.conv.weight", "model.diffusion_model.output_blocks.2.1.conv.weight")]
    [InlineData("up_blocks.2.upsamplers.0.conv.weight", "model.diffusion_model.output_blocks.8.2.conv.weight")]
    [InlineData("up_blocks.3.attentions.2.transformer_blocks.0.attn2.to_v.weight", "model.diffusion_model.output_blocks.11.1.transformer_blocks.0.attn2.to_v.weight")]
    public void TheSd15ConfigGivesSd15sKeys(string diffusers, string original)
    {
        var layout = UNetLayout.From(UNetConfig.Load(Path.Combine(RepoPaths.Sd15Configs, "unet", "config.json")));
        Assert.Equal(original, new UNetKeyRules(layout).SourceOf(diffusers)?.Key);
    }

    [Theory]
    [InlineData("down_blocks.4.resnets.0.conv1.weight")] // no such level
    [InlineData("down_blocks.0.resnets.2.conv1.weight")] // no such resnet
    [InlineData("down_blocks.3.downsamplers.0.conv.weight")] // the deepest level has no downsampler
    [InlineData("up_blocks.0.attentions.0.norm.weight")] // up level 0 has no attention
    [InlineData("up_blocks.3.upsamplers.0.conv.weight")] // the shallowest level has no upsampler
    [InlineData("down_blocks.0.resnets.0.nonsense.weight")]
    [InlineData("class_embedding.linear_1.weight")]
    public void NamesOutsideTheLayoutHaveNoSource(string diffusers)
    {
        var layout = UNetLayout.From(UNetConfig.Load(Path.Combine(RepoPaths.Sd15Configs, "unet", "config.json")));
        Assert.Null(new UNetKeyRules(layout).SourceOf(diffusers));
    }
}
