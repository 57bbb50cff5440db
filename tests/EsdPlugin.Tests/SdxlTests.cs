using DiffusionEngine.Images;
using DiffusionEngine.StableDiffusion;
using EsdPlugin.Commands;
using EsdPlugin.Deltas;
using EsdPlugin.Training;
using Host.Abstractions;
using SampleHost.LoadedModels;
using SampleHost.Projects;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TestUtilities;

namespace EsdPlugin.Tests;

/// <summary>ESD on SDXL (sdxl-alpha) through the family-neutral contract.</summary>
[Collection(HeavyTests.Name)]
public class SdxlTests
{
    private static Dictionary<string, string> Quick(string method = "esd-x") => new()
    {
        ["concepts"] = "cat", ["method"] = method, ["iterations"] = "3", ["ddim-steps"] = "4", ["learning-rate"] = "1e-2", ["seed"] = "4",
    };

    [Fact]
    public async Task TheMethodsSelectSdxlsParametersByTheSameRules()
    {
        using var h = new Harness(SdxlAlphaFixture.Folder);
        using var lease = await h.Cache.AcquireAsync(LeaseMode.Shared);
        Assert.Equal("sdxl", lease.Model.Family);
        var x = TrainableParameters.Select(lease.Model.Unet, EsdMethod.EsdX, "sdxl").Select(t => t.Name).ToList();
        Assert.All(x, n => Assert.Contains("attn2", n));
        var u = TrainableParameters.Select(lease.Model.Unet, EsdMethod.EsdU, "sdxl").Select(t => t.Name).ToList();
        Assert.DoesNotContain(u, n => n.StartsWith("add_embedding") || n.StartsWith("time_embedding") || n.Contains("attn2"));
        Assert.Contains(u, n => n.Contains("time_emb_proj"));
        // The 2025 SDXL script's own rule: module names with "block" and without "emb".
        var u2025 = TrainableParameters.Select(lease.Model.Unet, EsdMethod.EsdU2025, "sdxl").Select(t => t.Name).ToList();
        Assert.All(u2025, n => Assert.True(n.Contains("block") && !n.Contains("emb") && !n.Contains("attn2"), n));
    }

    [Fact]
    public async Task AnSdxlDeltaLoadsRestoresBitExactlyAndRefusesTheOtherFamily()
    {
        using var h = new Harness(SdxlAlphaFixture.Folder);
        var before = await h.UnetBytes();
        var path = Assert.Single((await h.Run(EraseConceptCommand.Create(h.Services), Quick())).Files);
        var info = DeltaFile.Inspect(h.Context.TensorFiles, path);
        Assert.Equal("sdxl", info.Family);
        Assert.All(info.Tensors.Keys, n => Assert.Contains("attn2", n));
        Assert.Equal(before, await h.UnetBytes()); // training left the live model as it was

        await h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = path });
        Assert.NotEqual(before, await h.UnetBytes());
        await h.Run(RestoreOriginalCommand.Create(h.Services), []);
        Assert.Equal(before, await h.UnetBytes());

        // An SD 1.x delta is refused on SDXL, naming both families.
        string sd1;
        using (var alpha = new Harness())
        {
            sd1 = Path.Combine(h.DataFolder, "sd1.safetensors");
            File.Copy(Assert.Single((await alpha.Run(EraseConceptCommand.Create(alpha.Services), Quick())).Files), sd1);
        }
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = sd1 }));
        Assert.Contains("family 'sd1'", e.Message);
        Assert.Contains("is 'sdxl'", e.Message);
        Assert.Equal(before, await h.UnetBytes());
    }

    [Fact]
    public async Task AnSdxlDeltaReproducesTheEditedImagesInAFreshProcess()
    {
        // Defaults of three iterations: the quick run is a full-length safe checkpoint for this copy.
        using var h = Harness.WithSafeIterations(3, SdxlAlphaFixture.Folder);
        var path = Assert.Single((await h.Run(EraseConceptCommand.Create(h.Services), Quick())).Files);
        var request = new TextToImageRequest { Prompt = "a cat", Steps = 3, Seed = 5 };

        // The edited model in this process.
        await h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = path });
        var mine = Path.Combine(h.DataFolder, "mine.png");
        using (var lease = await h.Cache.AcquireAsync(LeaseMode.Shared))
        {
            var (image, p) = TextToImage.Generate(((StudioModel)lease.Model).Engine, request, lease.Model.Fingerprint, []).Single();
            using (image) PngImageFile.Save(image, mine, p);
        }
        await h.Run(RestoreOriginalCommand.Create(h.Services), []);

        // Another process, same data folder: a project blocking "cat" makes its guard load the signed delta.
        var project = Path.Combine(h.DataFolder, "project");
        ProjectService.Create(project, new ProjectSettings("xl", h.Model, ["cat"], null));
        var outDir = Path.Combine(h.DataFolder, "out");
        var (code, stdout, stderr) = StudioProcess.RunInData(h.DataFolder, "generate", "--project", project, "--prompt", "a cat", "--steps", "3", "--seed", "5", "--out", outDir);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("loaded safe checkpoint", stderr);
        var theirs = Directory.GetFiles(outDir, "*.png").Single();
        Assert.Contains("Sampler: Euler", PngImageFile.ReadText(theirs)["parameters"]);

        using var a = Image.Load<Rgb24>(mine);
        using var b = Image.Load<Rgb24>(theirs);
        var pa = new Rgb24[a.Width * a.Height];
        var pb = new Rgb24[b.Width * b.Height];
        a.CopyPixelDataTo(pa);
        b.CopyPixelDataTo(pb);
        Assert.Equal(pa, pb);
    }
}
