using EsdPlugin.Commands;
using Host.Abstractions;
using Newtonsoft.Json.Linq;
using SampleHost.LoadedModels;
using SampleHost.Plugins;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TestUtilities;
using static TorchSharp.torch;

namespace EsdPlugin.Tests;

/// <summary>Edited models written whole (diffusers folder, single file) and loaded back as the edited model.</summary>
[Collection(HeavyTests.Name)]
public class ExportModelTests
{
    public static TheoryData<string, string> Models => new()
    {
        { "bundled", "single-file" }, { "bundled", "diffusers" },
        { "alpha", "single-file" }, { "alpha", "diffusers" },
        { "sdxl-alpha", "single-file" }, { "sdxl-alpha", "diffusers" },
    };

    private static string Folder(string model) => model switch
    {
        "bundled" => RepoPaths.BundledModel,
        "alpha" => AlphaFixture.Folder,
        _ => SdxlAlphaFixture.Folder,
    };

    private static Dictionary<string, byte[]> Bytes(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().contiguous().bytes.ToArray());

    [Theory]
    [MemberData(nameof(Models))]
    public async Task AnExportLoadsAsTheEditedModelBitForBit(string which, string format)
    {
        using var h = new Harness(Folder(which));
        await h.Run(EraseConceptCommand.Create(h.Services), new()
        {
            ["concepts"] = "cat", ["iterations"] = "1", ["ddim-steps"] = "2", ["learning-rate"] = "1e-2", ["name"] = "cat-edit",
        });
        await h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = "cat-edit" });
        Dictionary<string, byte[]> unet, text, vae;
        Dictionary<string, byte[]>? text2;
        string baseFingerprint;
        using (var lease = await h.Cache.AcquireAsync(LeaseMode.Shared))
        {
            var live = (StudioModel)lease.Model;
            (unet, text, vae) = (Bytes(live.Engine.Unet), Bytes(live.Engine.TextEncoder), Bytes(live.Engine.Vae));
            text2 = live.Engine.TextEncoder2 is { } t2 ? Bytes(t2) : null;
            baseFingerprint = live.Fingerprint;
        }
        var target = Path.Combine(h.DataFolder, "export" + (format == "single-file" ? ".safetensors" : ""));
        var result = await h.Run(ExportModelCommand.Create(h.Services), new() { ["format"] = format, ["out"] = target });
        Assert.Equal([target], result.Files);
        Assert.Contains("erases cat", result.Message);

        // Loaded as any model is (a single file of a model of its own shape with that model's configs): the edited U-Net, the base's other components, bit for bit.
        using (var exported = (StudioModel)StudioModel.Load(ModelKey.For(target, CPU, ScalarType.Float32, format == "single-file" ? Folder(which) : null), CancellationToken.None))
        {
            Assert.Equal(unet, Bytes(exported.Engine.Unet));
            Assert.Equal(text, Bytes(exported.Engine.TextEncoder));
            Assert.Equal(vae, Bytes(exported.Engine.Vae));
            if (text2 is not null) Assert.Equal(text2, Bytes(exported.Engine.TextEncoder2!));
        }

        // What was erased, how, from which base, and the delta's hash.
        var weights = format == "single-file" ? target : Path.Combine(target, "unet", "diffusion_pytorch_model.safetensors");
        var metadata = SafetensorsFiles.Instance.ReadHeader(weights).Metadata;
        Assert.Equal("[\"cat\"]", metadata["esd_concepts"]);
        Assert.Equal(baseFingerprint, metadata["esd_base_fingerprint"]);
        var delta = (JObject)JArray.Parse(metadata["esd_deltas"]).Single();
        var deltaFile = h.Services.Store.Resolve("cat-edit").Path;
        using (var stream = File.OpenRead(deltaFile))
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream)), (string?)delta["sha256"]);

        // An existing export is kept unless asked.
        var e = await Assert.ThrowsAsync<IOException>(() => h.Run(ExportModelCommand.Create(h.Services), new() { ["format"] = format, ["out"] = target }));
        Assert.Contains("exists; pass --overwrite", e.Message);
    }

    [Fact]
    public async Task StudioExportWritesTheStoredDeltaBakedIn()
    {
        using var h = new Harness(AlphaFixture.Folder);
        await h.Run(EraseConceptCommand.Create(h.Services), new()
        {
            ["concepts"] = "cat", ["iterations"] = "1", ["ddim-steps"] = "2", ["learning-rate"] = "1e-2", ["name"] = "cat-edit",
        });
        await h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = "cat-edit" });
        Dictionary<string, byte[]> unet;
        using (var lease = await h.Cache.AcquireAsync(LeaseMode.Shared))
            unet = Bytes(((StudioModel)lease.Model).Engine.Unet);

        // The process sees the harness's store (its data folder) and writes the delta baked into the base.
        var target = Path.Combine(h.DataFolder, "alpha-cat");
        var (code, stdout, stderr) = StudioProcess.RunInData(h.DataFolder, "export", "--model", AlphaFixture.Folder, "--delta", "cat-edit", "--format", "diffusers", "--out", target);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("baked in to " + target, stdout);
        using var exported = (StudioModel)StudioModel.Load(ModelKey.For(target, CPU, ScalarType.Float32), CancellationToken.None);
        Assert.Equal(unet, Bytes(exported.Engine.Unet));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task AFreshProcessDrawsTheEditedModelsImagesFromTheExport(string which, string format)
    {
        using var h = new Harness(Folder(which));
        await h.Run(EraseConceptCommand.Create(h.Services), new()
        {
            ["concepts"] = "star", ["iterations"] = "2", ["ddim-steps"] = "3", ["learning-rate"] = "1e-2", ["name"] = "star-edit",
        });
        var exported = Path.Combine(h.DataFolder, "export" + (format == "single-file" ? ".safetensors" : ""));
        await h.Run(ExportModelCommand.Create(h.Services), new() { ["delta"] = "star-edit", ["format"] = format, ["out"] = exported });
        await h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = "star-edit" });

        var inProcess = Path.Combine(h.DataFolder, "in-process");
        using (var lease = await h.Cache.AcquireAsync(LeaseMode.Shared))
        {
            var model = (StudioModel)lease.Model;
            var request = new DiffusionEngine.StableDiffusion.TextToImageRequest { Prompt = "a star", Steps = 4, Guidance = 7.5, Seed = 11, Count = 1 };
            var (image, parameters) = Assert.Single(DiffusionEngine.StableDiffusion.TextToImage.Generate(model.Engine, request, model.Fingerprint, [], null, default));
            using var _ = image;
            Directory.CreateDirectory(inProcess);
            DiffusionEngine.Images.PngImageFile.Save(image, Path.Combine(inProcess, "a.png"), parameters);
        }
        var outDir = Path.Combine(h.DataFolder, "fresh");
        string[] config = format == "single-file" ? ["--config", Folder(which)] : [];
        var (code, stdout, stderr) = StudioProcess.Run(["generate", "--model", exported, .. config, "--prompt", "a star", "--steps", "4", "--seed", "11", "--out", outDir]);
        Assert.True(code == 0, stderr + stdout);
        using var expected = Image.Load<Rgb24>(Path.Combine(inProcess, "a.png"));
        using var actual = Image.Load<Rgb24>(Assert.Single(Directory.GetFiles(outDir, "*.png")));
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        int worst = 0;
        for (int y = 0; y < expected.Height; y++)
            for (int x = 0; x < expected.Width; x++)
            {
                var (a, b) = (expected[x, y], actual[x, y]);
                worst = Math.Max(worst, Math.Max(Math.Abs(a.R - b.R), Math.Max(Math.Abs(a.G - b.G), Math.Abs(a.B - b.B))));
            }
        Assert.True(worst <= 1, $"the fresh process's image differs by up to {worst} levels");
    }
}
