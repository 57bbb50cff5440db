using TestUtilities;
using DiffusionEngine.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace DiffusionEngine.Tests.Images;

public class PngImageFileTests
{
    [Fact]
    public void MetadataAndPixelsRoundTrip()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("out/img.png");
        var p = new GenerationParameters
        {
            Prompt = "a striped blue heart — on black",
            NegativePrompt = "blurry",
            Steps = 25, Guidance = 7.5, Seed = 42, Width = 8, Height = 4,
            ModelFingerprint = "0123456789abcdef", Model = "tiny", Device = "cpu",
            Edits = ["esd-x striped (stamp abc)"],
        };
        // Pixel values chosen to be exact after the [-1,1] -> [0,255] mapping.
        using var image = (arange(3 * 4 * 8, float32).reshape(3, 4, 8) / 95f * 2 - 1);
        PngImageFile.Save(image, path, p);

        var text = PngImageFile.ReadText(path);
        Assert.Equal("a striped blue heart — on black\nNegative prompt: blurry\nSteps: 25, Sampler: DDIM, CFG scale: 7.5, Seed: 42, Size: 8x4, Model hash: 0123456789, Model: tiny",
            text[PngImageFile.ParametersKeyword]);
        var back = PngImageFile.ReadParameters(path);
        Assert.Equal(p.Prompt, back.Prompt);
        Assert.Equal(p.Seed, back.Seed);
        Assert.Equal(p.Edits, back.Edits);
        Assert.Equal(p.ModelFingerprint, back.ModelFingerprint);

        using var img = Image.Load<Rgb24>(path);
        Assert.Equal(8, img.Width);
        Assert.Equal(4, img.Height);
        var expected = PngImageFile.ToRgbBytes(image, out _, out _);
        var actual = new byte[8 * 4 * 3];
        img.CopyPixelDataTo(actual);
        Assert.Equal(expected, actual);
        Assert.Empty(Directory.GetFiles(tmp.File("out"), "*.tmp"));
    }
}
