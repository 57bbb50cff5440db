using DiffusionEngine.Layers;
using DiffusionEngine.Text;
using DiffusionEngine.Unet;
using DiffusionEngine.Vae;
using TestUtilities;
using static TorchSharp.torch;

namespace DiffusionEngine.Tests.Sdxl;

/// <summary>The real-size SDXL base 1.0 and SD 1.5 structures, built from their published configs on the meta device (no memory).</summary>
public class RealSizeTests
{
    private static string Sdxl(string component, string file = "config.json") => Path.Combine(RepoPaths.ProductData, "sdxl-configs", component, file);
    private static string Sd15(string component) => Path.Combine(RepoPaths.Sd15Configs, component, "config.json");
    private static readonly Device Meta = new("meta");

    private static long Count(nn.Module module) => module.parameters().Sum(p => p.numel());

    [Fact]
    public void SdxlBaseBuildsWithThePublishedParameterCounts()
    {
        using (ModuleBuild.On(Meta))
        {
            using var unet = new UNet2DConditionModel(UNetConfig.Load(Sdxl("unet")));
            Assert.Equal(2_567_463_684, Count(unet));
            Assert.Equal(1680, unet.state_dict().Count);
            Assert.Contains("add_embedding.linear_1.weight", unet.state_dict().Keys);
            Assert.Equal([1280L, 2816], unet.state_dict()["add_embedding.linear_1.weight"].shape);
            using var vae = new AutoencoderKL(VaeConfig.Load(Sdxl("vae")));
            Assert.Equal(83_653_863, Count(vae));
        }
        using var text = new ClipTextModel(ClipTextConfig.Load(Sdxl("text_encoder")), Meta);
        Assert.Equal(123_060_480, Count(text));
        using var text2 = new ClipTextModelWithProjection(ClipTextConfig.Load(Sdxl("text_encoder_2")), Meta);
        Assert.Equal(694_659_840, Count(text2));
    }

    [Fact]
    public void Sd15BuildsWithThePublishedParameterCounts()
    {
        using (ModuleBuild.On(Meta))
        {
            using var unet = new UNet2DConditionModel(UNetConfig.Load(Sd15("unet")));
            Assert.Equal(859_520_964, Count(unet));
            using var vae = new AutoencoderKL(VaeConfig.Load(Sd15("vae")));
            Assert.Equal(83_653_863, Count(vae));
        }
        using var text = new ClipTextModel(ClipTextConfig.Load(Sd15("text_encoder")), Meta);
        Assert.Equal(123_060_480, Count(text));
    }
}
