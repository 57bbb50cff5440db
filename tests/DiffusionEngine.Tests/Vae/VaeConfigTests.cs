using TestUtilities;
using DiffusionEngine.Layers;
using DiffusionEngine.Vae;

namespace DiffusionEngine.Tests.Vae;

public class VaeConfigTests
{
    private static string AlphaConfig => Path.Combine(AlphaFixture.Folder, "vae", "config.json");
    private static string Sd15Config => Path.Combine(RepoPaths.Sd15Configs, "vae", "config.json");

    [Fact]
    public void AlphaConfigReadsEveryField()
    {
        var c = VaeConfig.Load(AlphaConfig);
        Assert.Equal([32, 64], c.BlockOutChannels);
        Assert.Equal(1, c.LayersPerBlock);
        Assert.Equal(8, c.NormNumGroups);
        Assert.Equal(4, c.LatentChannels);
        Assert.Equal(0.18215, c.ScalingFactor);
        Assert.True(c.UseQuantConv);
        Assert.True(c.UsePostQuantConv);
        Assert.True(c.MidBlockAddAttention);
        Assert.Equal(2, c.DownscaleFactor);
        Assert.Equal([16], c.SampleSize);
    }

    [Fact]
    public void Sd15ConfigWithoutScalingFactorDefaultsTo018215()
    {
        var c = VaeConfig.Load(Sd15Config);
        Assert.Equal(0.18215, c.ScalingFactor);
        Assert.Equal(8, c.DownscaleFactor);
        Assert.Equal(2, c.LayersPerBlock);
        Assert.True(c.UseQuantConv);
        Assert.True(c.MidBlockAddAttention);
    }

    [Fact]
    public void ExplicitScalingFactorIsRead()
    {
        var c = VaeConfig.Parse("""{ "scaling_factor": 0.13025 }""", "inline.json");
        Assert.Equal(0.13025, c.ScalingFactor);
    }

    [Theory]
    [InlineData("shift_factor", "0.1159")]
    [InlineData("latents_mean", "[0.1, 0.2, 0.3, 0.4]")]
    [InlineData("act_fn", "\"relu\"")]
    [InlineData("down_block_types", "[\"AttnDownEncoderBlock2D\", \"DownEncoderBlock2D\"]")]
    [InlineData("block_out_channels", "[32, 60]")]
    [InlineData("layers_per_block", "1.5")]
    public void UnsupportedOrInvalidFieldIsRejectedNamingFileAndField(string field, string value)
    {
        var json = Newtonsoft.Json.Linq.JObject.Parse(File.ReadAllText(AlphaConfig));
        json[field] = Newtonsoft.Json.Linq.JToken.Parse(value);
        var path = Path.Combine(Path.GetTempPath(), $"vae-config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json.ToString());
        try
        {
            var e = Assert.Throws<ModelConfigException>(() => VaeConfig.Load(path));
            Assert.Contains(path, e.Message);
            Assert.Contains($"'{field}'", e.Message);
        }
        finally { File.Delete(path); }
    }
}
