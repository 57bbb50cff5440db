using TestUtilities;
using DiffusionEngine.Layers;
using DiffusionEngine.Unet;

namespace DiffusionEngine.Tests.Unet;

public class UNetConfigTests
{
    private static string AlphaConfig => Path.Combine(AlphaFixture.Folder, "unet", "config.json");
    private static string Sd15Config => Path.Combine(RepoPaths.Sd15Configs, "unet", "config.json");

    [Fact]
    public void AlphaConfigReadsEveryField()
    {
        var c = UNetConfig.Load(AlphaConfig);
        Assert.Equal([32, 64], c.BlockOutChannels);
        Assert.Equal([1, 1], c.LayersPerBlock);
        Assert.Equal([8, 8], c.AttentionHeads);
        Assert.Equal([32, 32], c.CrossAttentionDim);
        Assert.Equal([1, 1], c.TransformerLayersPerBlock);
        Assert.Equal(["CrossAttnDownBlock2D", "DownBlock2D"], c.DownBlockTypes);
        Assert.Equal(["UpBlock2D", "CrossAttnUpBlock2D"], c.UpBlockTypes);
        Assert.Equal("UNetMidBlock2DCrossAttn", c.MidBlockType);
        Assert.Equal(8, c.NormNumGroups);
        Assert.Equal(1e-5, c.NormEps);
        Assert.False(c.UseLinearProjection);
        Assert.True(c.FlipSinToCos);
        Assert.Equal(0, c.FreqShift);
        Assert.Equal(128, c.TimeEmbedDim);
        Assert.Equal([8], c.SampleSize);
        Assert.Equal(AlphaConfig, c.Source);
    }

    [Fact]
    public void Sd15ConfigTakesClassDefaultsForAbsentKeys()
    {
        // SD 1.5's config predates use_linear_projection, transformer_layers_per_block, conv kernels, ...
        var c = UNetConfig.Load(Sd15Config);
        Assert.False(c.UseLinearProjection);
        Assert.Equal([1, 1, 1, 1], c.TransformerLayersPerBlock);
        Assert.Equal([8, 8, 8, 8], c.AttentionHeads);
        Assert.Equal([768, 768, 768, 768], c.CrossAttentionDim);
        Assert.Equal([2, 2, 2, 2], c.LayersPerBlock);
        Assert.Equal(3, c.ConvInKernel);
        Assert.Equal(3, c.ConvOutKernel);
        Assert.Equal(1280, c.TimeEmbedDim);
        Assert.Equal(0.0, c.Dropout);
    }

    [Fact]
    public void PerBlockListsAreAccepted()
    {
        var c = UNetConfig.Parse("""
            { "block_out_channels": [32, 64], "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
              "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"], "attention_head_dim": [2, 4],
              "layers_per_block": [1, 2], "cross_attention_dim": [16, 16], "norm_num_groups": 8 }
            """, "inline.json");
        Assert.Equal([2, 4], c.AttentionHeads);
        Assert.Equal([1, 2], c.LayersPerBlock);
    }

    [Theory]
    [InlineData("class_embed_type", "\"timestep\"")]
    [InlineData("num_class_embeds", "10")]
    [InlineData("addition_embed_type", "\"image\"")]
    [InlineData("time_cond_proj_dim", "256")]
    [InlineData("resnet_time_scale_shift", "\"scale_shift\"")]
    [InlineData("dual_cross_attention", "true")]
    [InlineData("only_cross_attention", "true")]
    [InlineData("upcast_attention", "true")]
    [InlineData("encoder_hid_dim", "1024")]
    [InlineData("time_embedding_type", "\"fourier\"")]
    [InlineData("time_embedding_act_fn", "\"silu\"")]
    [InlineData("attention_type", "\"gated\"")]
    [InlineData("num_attention_heads", "8")]
    [InlineData("act_fn", "\"gelu\"")]
    [InlineData("mid_block_type", "\"UNetMidBlock2DSimpleCrossAttn\"")]
    [InlineData("down_block_types", "[\"AttnDownBlock2D\", \"DownBlock2D\"]")]
    [InlineData("norm_num_groups", "null")]
    public void UnsupportedFeatureIsRejectedNamingFileAndField(string field, string value)
    {
        var baseJson = File.ReadAllText(AlphaConfig);
        var json = Newtonsoft.Json.Linq.JObject.Parse(baseJson);
        json[field] = Newtonsoft.Json.Linq.JToken.Parse(value);
        var path = Path.Combine(Path.GetTempPath(), $"unet-config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json.ToString());
        try
        {
            var e = Assert.Throws<ModelConfigException>(() => UNetConfig.Load(path));
            Assert.Contains(path, e.Message);
            Assert.Contains($"'{field}'", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void MismatchedBlockListsAreRejected()
    {
        var e = Assert.Throws<ModelConfigException>(() => UNetConfig.Parse(
            """{ "block_out_channels": [32, 64, 64], "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"], "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"] }""",
            "bad.json"));
        Assert.Contains("bad.json", e.Message);
        Assert.Contains("'block_out_channels'", e.Message);
    }

    [Fact]
    public void WrongTypeIsRejectedNamingField()
    {
        var e = Assert.Throws<ModelConfigException>(() => UNetConfig.Parse("""{ "layers_per_block": "two" }""", "typed.json"));
        Assert.Contains("typed.json", e.Message);
        Assert.Contains("'layers_per_block'", e.Message);
    }

    [Fact]
    public void MissingFileIsReportedByPath()
    {
        var path = Path.Combine(Path.GetTempPath(), $"absent-{Guid.NewGuid():N}", "config.json");
        var e = Assert.Throws<ModelConfigException>(() => UNetConfig.Load(path));
        Assert.Contains(path, e.Message);
    }
}
