using DiffusionEngine.Safetensors;
using DiffusionEngine.StableDiffusion;
using TestUtilities;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DiffusionEngine.Tests.StableDiffusion;

/// <summary>
/// Safe Latent Diffusion against diffusers' <c>StableDiffusionPipelineSafe</c>: the alpha fixture's final latents per
/// preset (probe/README.md, "SLD check"), from its folder and from its single file, and the rules around them.
/// </summary>
public class SafeLatentDiffusionTests(ITestOutputHelper output)
{
    private const string Prompt = "a photo of a cat", Concept = "a photo of a cat, painting";

    /// <summary>The SLD check's run: 25 DDIM steps, guidance 7.5, the empty negative prompt, from ddim.initial_latents.</summary>
    private static Tensor Run(StableDiffusionModel model, SafetyGuidance? safety)
    {
        using var inputs = SafetensorsFile.Open(AlphaFixture.Inputs);
        using var x0 = inputs.Read("ddim.initial_latents");
        using var cond = model.EncodePrompts([Prompt]);
        using var uncond = model.EncodeNegative([""], 1);
        using var concept = model.EncodePrompts([safety?.Concept ?? Concept]);
        using var scheduler = model.CreateScheduler("ddim");
        return GuidedSampler.Sample(model.Unet, scheduler, x0, cond, uncond, 7.5, 25, safety: safety is null ? null : (safety, concept));
    }

    private void AllPresetsMatch(StableDiffusionModel model)
    {
        using var reference = SafetensorsFile.Open(AlphaFixture.SldOutputs);
        Assert.Equal(Prompt, reference.Metadata["prompt"]);
        Assert.Equal(Concept, reference.Metadata["sld_concept"]);
        foreach (var preset in SafetyGuidance.PresetNames)
        {
            using var latents = Run(model, SafetyGuidance.FromPreset(preset, Concept));
            ReferenceAssert.Close(output, reference, $"sld.{preset}.final_latents", latents);
        }
        using var plain = Run(model, null);
        ReferenceAssert.Close(output, reference, "sld.plain.final_latents", plain);
        ReferenceAssert.Close(output, reference, "sld.off.final_latents", plain);
    }

    [Fact]
    public void EveryPresetGivesDiffusersLatentsOnTheAlphaFolder()
    {
        using var model = StableDiffusionModel.Load(AlphaFixture.Folder, CPU, ScalarType.Float32);
        AllPresetsMatch(model);
    }

    [Fact]
    public void TheAlphaSingleFileGivesTheSameLatents()
    {
        using var model = StableDiffusionModel.LoadSingleFile(SingleFileFixtures.Alpha, CPU, ScalarType.Float32, config: AlphaFixture.Folder);
        AllPresetsMatch(model);
    }

    [Fact]
    public void ThePresetsReallySteer()
    {
        // Each preset moves the latents away from plain sampling, the stronger ones further (the fixture's
        // differences: weak 0.066, medium 1.06, strong 3.34, max 22.4).
        using var model = StableDiffusionModel.Load(AlphaFixture.Folder, CPU, ScalarType.Float32);
        using var plain = Run(model, null);
        var distances = SafetyGuidance.PresetNames.Select(p =>
        {
            using var latents = Run(model, SafetyGuidance.FromPreset(p, Concept));
            using var diff = (latents - plain).abs().max();
            return diff.item<float>();
        }).ToList();
        output.WriteLine(string.Join(", ", distances));
        Assert.All(distances, d => Assert.True(d > 0.01));
        for (int i = 1; i < distances.Count; i++) Assert.True(distances[i] > distances[i - 1], $"{SafetyGuidance.PresetNames[i]} steers less than {SafetyGuidance.PresetNames[i - 1]}");
    }

    [Fact]
    public void GuidanceScaleZeroOrOneSamplesExactlyAsWithoutSld()
    {
        using var model = StableDiffusionModel.Load(AlphaFixture.Folder, CPU, ScalarType.Float32);
        using var plain = Run(model, null);
        foreach (var scale in new[] { 0.0, 1.0 })
        {
            using var off = Run(model, SafetyGuidance.FromPreset("max", Concept) with { GuidanceScale = scale, Preset = null });
            Assert.True(off.eq(plain).all().item<bool>(), $"SLD scale {scale} changed the latents");
        }
        // Through text-to-image too: the images are equal bit for bit, and only the parameters tell them apart.
        var request = new TextToImageRequest { Prompt = Prompt, Steps = 4, Seed = 3 };
        var a = TextToImage.Generate(model, request, "", []);
        var b = TextToImage.Generate(model, request with { Safety = SafetyGuidance.FromPreset("medium", Concept) with { GuidanceScale = 0 } }, "", []);
        Assert.True(a[0].Image.eq(b[0].Image).all().item<bool>());
        Assert.Null(a[0].Parameters.Safety);
        Assert.Equal(0, b[0].Parameters.Safety!.GuidanceScale);
        foreach (var (image, _) in a.Concat(b)) image.Dispose();
    }

    [Theory]
    [InlineData("weak", 15, 20, 0.0, 0.0, 0.0)]
    [InlineData("Medium", 10, 1000, 0.01, 0.3, 0.4)]
    [InlineData("STRONG", 7, 2000, 0.025, 0.5, 0.7)]
    [InlineData(" max ", 0, 5000, 1.0, 0.5, 0.7)]
    public void PresetsParseByName(string name, int warmup, double scale, double threshold, double momentum, double beta)
    {
        var s = SafetyGuidance.FromPreset(name, "nudity");
        Assert.Equal(("nudity", warmup, scale, threshold, momentum, beta, name.Trim().ToLowerInvariant()),
            (s.Concept, s.WarmupSteps, s.GuidanceScale, s.Threshold, s.MomentumScale, s.MomentumBeta, s.Preset));
        Assert.True(s.IsActive);
    }

    [Fact]
    public void BadSettingsNameWhatIsWrong()
    {
        var e = Assert.Throws<ArgumentException>(() => SafetyGuidance.FromPreset("hyper", "x"));
        Assert.Contains("hyper", e.Message);
        Assert.Contains("weak, medium, strong, max", e.Message);
        Assert.Contains("concept", Assert.Throws<ArgumentException>(() => SafetyGuidance.FromPreset("weak", " ")).Message);
        var medium = SafetyGuidance.FromPreset("medium", "x");
        Assert.Contains("beta", Assert.Throws<ArgumentException>(() => (medium with { MomentumBeta = 1.5 }).Validated()).Message);
        Assert.Contains("warm-up", Assert.Throws<ArgumentException>(() => (medium with { WarmupSteps = -1 }).Validated()).Message);
        using var model = StableDiffusionModel.Load(AlphaFixture.Folder, CPU, ScalarType.Float32);
        Assert.Contains("guidance scale", Assert.Throws<ArgumentException>(() =>
            TextToImage.Generate(model, new TextToImageRequest { Prompt = "a", Steps = 1, Safety = medium with { GuidanceScale = double.NaN } }, "", [])).Message);
    }
}
