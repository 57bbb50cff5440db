using DiffusionEngine.StableDiffusion;
using TestUtilities;
using static TorchSharp.torch;

namespace DiffusionEngine.Tests.StableDiffusion;

/// <summary>Sampling calls the U-Net through its module call path, so forward hooks (a plugin's hook points) see every step.</summary>
public class HookTests
{
    [Fact]
    public void AForwardHookOnTheUnetSeesEverySamplingStep()
    {
        using var model = StableDiffusionModel.Load(AlphaFixture.Folder, CPU, ScalarType.Float32);
        int calls = 0;
        var hook = model.Unet.register_forward_hook((module, sample, t, context, added, result) =>
        {
            calls++;
            return result;
        });
        var images = TextToImage.Generate(model, new TextToImageRequest { Prompt = "a cat", Steps = 3, Seed = 1 }, "", []);
        foreach (var (image, _) in images) image.Dispose();
        hook.remove();
        Assert.Equal(3, calls);
    }
}
