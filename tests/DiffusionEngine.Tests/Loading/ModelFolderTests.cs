using TestUtilities;
using DiffusionEngine.Loading;
using DiffusionEngine.StableDiffusion;

namespace DiffusionEngine.Tests.Loading;

public class ModelFolderTests
{
    private static TempFolder MinimalFolder()
    {
        var tmp = new TempFolder();
        File.WriteAllText(tmp.File("model_index.json"), "{\"_class_name\": \"StableDiffusionPipeline\"}");
        return tmp;
    }

    [Fact]
    public void PickleWeightsAreRefusedWithTheReason()
    {
        using var tmp = MinimalFolder();
        File.WriteAllText(tmp.File("unet/config.json"), "{}");
        File.WriteAllBytes(tmp.File("unet/diffusion_pytorch_model.bin"), [0x80, 0x02]);
        var e = Assert.Throws<ModelLoadException>(() => ModelFolder.Open(tmp.Path).WeightsPath(ModelFolder.Unet));
        Assert.Contains("diffusion_pytorch_model.bin", e.Message);
        Assert.Contains("arbitrary code", e.Message);
        Assert.Contains(".safetensors", e.Message);
    }

    [Fact]
    public void MissingConfigIsNamed()
    {
        using var tmp = MinimalFolder();
        Directory.CreateDirectory(tmp.File("vae"));
        var e = Assert.Throws<ModelLoadException>(() => ModelFolder.Open(tmp.Path).ConfigPath(ModelFolder.Vae));
        Assert.Contains(Path.Combine("vae", "config.json"), e.Message);
    }

    [Fact]
    public void MissingModelIndexIsNamed()
    {
        using var tmp = new TempFolder();
        var e = Assert.Throws<ModelLoadException>(() => ModelFolder.Open(tmp.Path));
        Assert.Contains("model_index.json", e.Message);
    }

    [Fact]
    public void VariantFileIsPreferredWhenAskedFor()
    {
        using var tmp = MinimalFolder();
        File.WriteAllBytes(tmp.File("unet/diffusion_pytorch_model.safetensors"), []);
        File.WriteAllBytes(tmp.File("unet/diffusion_pytorch_model.fp16.safetensors"), []);
        Assert.EndsWith("diffusion_pytorch_model.fp16.safetensors", ModelFolder.Open(tmp.Path, "fp16").WeightsPath(ModelFolder.Unet));
        Assert.EndsWith("diffusion_pytorch_model.safetensors", ModelFolder.Open(tmp.Path).WeightsPath(ModelFolder.Unet));
    }

    [Fact]
    public void OnlyTheFp16VariantPresentIsUsed()
    {
        using var tmp = MinimalFolder();
        File.WriteAllBytes(tmp.File("text_encoder/model.fp16.safetensors"), []);
        Assert.EndsWith("model.fp16.safetensors", ModelFolder.Open(tmp.Path).WeightsPath(ModelFolder.TextEncoder));
    }
}
