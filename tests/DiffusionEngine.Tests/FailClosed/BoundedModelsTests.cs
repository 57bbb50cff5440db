using DiffusionEngine.Layers;
using DiffusionEngine.Loading;
using DiffusionEngine.Safetensors;
using DiffusionEngine.StableDiffusion;
using DiffusionEngine.Text;
using DiffusionEngine.Unet;
using Newtonsoft.Json.Linq;
using TestUtilities;
using static TorchSharp.torch;

namespace DiffusionEngine.Tests.FailClosed;

/// <summary>Absurd configs end with a clear error before anything is allocated; NaN weights are refused by name.</summary>
public class BoundedModelsTests
{
    private static string Edited(string configPath, Action<JObject> edit)
    {
        var o = JObject.Parse(File.ReadAllText(configPath));
        edit(o);
        return o.ToString();
    }

    [Fact]
    public void AUnetOfTenThousandLayersIsRefusedNamingTheField()
    {
        var json = Edited(Path.Combine(AlphaFixture.Folder, "unet", "config.json"), o => o["layers_per_block"] = 10_000);
        var e = Assert.Throws<ModelConfigException>(() => UNetConfig.Parse(json, "unet/config.json"));
        Assert.Contains("'layers_per_block'", e.Message);
        Assert.Contains($"{ConfigLimits.LayersPerBlock} at most", e.Message);
    }

    [Fact]
    public void ATextEncoderOfABillionWordsIsRefusedNamingTheField()
    {
        var json = Edited(Path.Combine(AlphaFixture.Folder, "text_encoder", "config.json"), o => o["vocab_size"] = 1_000_000_000);
        var e = Assert.Throws<InvalidDataException>(() => ClipTextConfig.Parse(json, "text_encoder/config.json"));
        Assert.Contains("'vocab_size'", e.Message);
    }

    [Fact]
    public void AModelWithANanWeightIsRefusedNamingTheTensor()
    {
        using var copy = AlphaFixture.CopyModel();
        var unet = Path.Combine(copy.Path, "unet", "diffusion_pytorch_model.safetensors");
        var tensors = AlphaFixture.ReadAll(unet);
        var name = tensors.Keys.Order(StringComparer.Ordinal).First(k => k.EndsWith(".weight"));
        tensors[name].view(-1)[0] = tensor(float.NaN);
        SafetensorsWriter.Write(unet, tensors);
        var e = Assert.Throws<ModelLoadException>(() => StableDiffusionModel.Load(copy.Path, CPU, ScalarType.Float32).Dispose());
        Assert.Contains($"'{name}'", e.Message);
        Assert.Contains("NaN or infinite", e.Message);
    }

    [Fact]
    public void AnImageTooLargeForMemoryIsRefusedBeforeAllocating()
    {
        using var model = StableDiffusionModel.Load(AlphaFixture.Folder, CPU, ScalarType.Float32);
        var e = Assert.Throws<ArgumentException>(() => TextToImage.Generate(model, new TextToImageRequest { Prompt = "x", Width = 8192, Height = 8192 }, "", []));
        Assert.Contains($"at most {TextToImage.MaxSide} pixels", e.Message);
        Assert.Throws<ArgumentException>(() => TextToImage.Generate(model, new TextToImageRequest { Prompt = "x", Guidance = double.NaN }, "", []));
    }
}
