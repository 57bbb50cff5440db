using TestUtilities;
using Newtonsoft.Json.Linq;
using static TorchSharp.torch;

namespace SampleHost.Tests.Cli;

/// <summary>The engine's command-line contract, run as a user runs it, against the reference fixture.</summary>
[Collection(HeavyTests.Name)]
public class ModelVerbsTests
{
    [Fact]
    public void ProbeReproducesEveryReferenceOutput()
    {
        using var tmp = new TempFolder();
        var outPath = tmp.File("out.safetensors");
        var (code, _, stderr) = StudioProcess.Run("model", "probe", AlphaFixture.Folder, "--inputs", AlphaFixture.Inputs, "--out", outPath);
        Assert.True(code == 0, stderr);

        var actual = AlphaFixture.ReadAll(outPath);
        // The diffusers outputs and the SLD pipeline's (probe/README.md, "SLD check").
        var reference = AlphaFixture.ReadAll(AlphaFixture.Outputs).Concat(AlphaFixture.ReadAll(AlphaFixture.SldOutputs)).ToDictionary();
        try
        {
            Assert.Equal(reference.Keys.OrderBy(k => k), actual.Keys.OrderBy(k => k));
            Assert.Equal(reference["ddim.timesteps"].data<long>().ToArray(), actual["ddim.timesteps"].data<long>().ToArray());
            foreach (var name in reference.Keys.Where(k => k != "ddim.timesteps"))
            {
                Assert.Equal(reference[name].shape, actual[name].shape);
                var err = Tolerances.RelativeError(actual[name], reference[name]);
                Assert.True(err <= 1e-4, $"{name}: relative error {err:E2} > 1e-4");
            }
        }
        finally
        {
            foreach (var t in actual.Values.Concat(reference.Values)) t.Dispose();
        }
    }

    [Fact]
    public void ProbeOfTheAlphaSingleFileReproducesTheSldOutputs()
    {
        using var tmp = new TempFolder();
        var outPath = tmp.File("out.safetensors");
        var (code, _, stderr) = StudioProcess.Run("model", "probe", SingleFileFixtures.Alpha, "--config", AlphaFixture.Folder, "--inputs", AlphaFixture.Inputs, "--out", outPath);
        Assert.True(code == 0, stderr);
        var actual = AlphaFixture.ReadAll(outPath);
        var reference = AlphaFixture.ReadAll(AlphaFixture.SldOutputs);
        try
        {
            Assert.Equal(6, reference.Count);
            foreach (var (name, expected) in reference)
            {
                var err = Tolerances.RelativeError(actual[name], expected);
                Assert.True(err <= 1e-4, $"{name}: relative error {err:E2} > 1e-4");
            }
        }
        finally
        {
            foreach (var t in actual.Values.Concat(reference.Values)) t.Dispose();
        }
    }

    [Fact]
    public void InspectJsonReportsACleanFolder()
    {
        var (code, stdout, stderr) = StudioProcess.Run("model", "inspect", AlphaFixture.Folder, "--json");
        Assert.True(code == 0, stderr);
        var components = (JObject)JObject.Parse(stdout)["components"]!;
        Assert.Equal(792_964L, (long)components["unet"]!["parameters"]!);
        Assert.Equal(1_597_162L, (long)components["text_encoder"]!["parameters"]!);
        Assert.Equal(658_375L, (long)components["vae"]!["parameters"]!);
        foreach (var name in new[] { "unet", "text_encoder", "vae" })
        {
            Assert.Equal("float32", (string?)components[name]!["dtype"]);
            Assert.Empty((JArray)components[name]!["missing"]!);
            Assert.Empty((JArray)components[name]!["unexpected"]!);
            Assert.Empty((JArray)components[name]!["mismatched"]!);
        }
    }

    [Fact]
    public void InspectReportsASingleFileCheckpointLikeAFolder()
    {
        var (code, stdout, stderr) = StudioProcess.Run("model", "inspect", SingleFileFixtures.Alpha, "--config", AlphaFixture.Folder, "--json");
        Assert.True(code == 0, stderr);
        var json = JObject.Parse(stdout);
        Assert.Equal("single-file", (string?)json["layout"]);
        Assert.Equal("sd1", (string?)json["family"]);
        var components = (JObject)json["components"]!;
        Assert.Equal(792_964L, (long)components["unet"]!["parameters"]!);
        foreach (var name in new[] { "unet", "text_encoder", "vae" })
        {
            Assert.Equal(Path.GetFullPath(SingleFileFixtures.Alpha), (string?)components[name]!["file"]);
            Assert.Empty((JArray)components[name]!["missing"]!);
            Assert.Empty((JArray)components[name]!["unexpected"]!);
            Assert.Empty((JArray)components[name]!["mismatched"]!);
        }

        var (sdxlCode, sdxlText, _) = StudioProcess.Run("model", "inspect", SingleFileFixtures.SdxlAlpha, "--config", SingleFileFixtures.SdxlAlphaFolder);
        Assert.True(sdxlCode == 0, sdxlText);
        Assert.Contains("single-file, family sdxl", sdxlText);
        Assert.Contains("text_encoder_2: CLIPTextModelWithProjection", sdxlText);

        var (folderCode, folderJson, _) = StudioProcess.Run("model", "inspect", AlphaFixture.Folder, "--json");
        Assert.Equal(0, folderCode);
        Assert.Equal("diffusers folder", (string?)JObject.Parse(folderJson)["layout"]);
    }

    [Fact]
    public void InspectNamesAMissingAndAMisshapenTensor()
    {
        using var copy = AlphaFixture.CopyModel();
        var unetFile = Path.Combine(copy.Path, "unet", "diffusion_pytorch_model.safetensors");
        var tensors = AlphaFixture.ReadAll(unetFile);
        tensors.Remove("conv_in.bias", out var removed);
        removed!.Dispose();
        var old = tensors["conv_out.weight"];
        tensors["conv_out.weight"] = zeros(4, 32, 1, 1);
        old.Dispose();
        DiffusionEngine.Safetensors.SafetensorsWriter.Write(unetFile, tensors);
        foreach (var t in tensors.Values) t.Dispose();

        var (code, stdout, _) = StudioProcess.Run("model", "inspect", copy.Path, "--json");
        Assert.Equal(1, code);
        var unet = JObject.Parse(stdout)["components"]!["unet"]!;
        Assert.Equal(["conv_in.bias"], unet["missing"]!.Values<string>());
        Assert.Contains("conv_out.weight", (string?)unet["mismatched"]![0]);

        var (genCode, _, genErr) = StudioProcess.Run("generate", "--model", copy.Path, "--prompt", "x", "--steps", "1");
        Assert.NotEqual(0, genCode);
        Assert.Contains("conv_in.bias", genErr);
        Assert.Contains("conv_out.weight", genErr);
    }

    [Fact]
    public void TokenizeVerbPrintsTheIds()
    {
        var (code, stdout, stderr) = StudioProcess.Run("tokenize", AlphaFixture.Folder, "a photo of a cat");
        Assert.True(code == 0, stderr);
        var ids = stdout.Trim().Split(' ').Select(long.Parse).ToArray();
        Assert.Equal(77, ids.Length);
        Assert.Equal(new long[] { 49406, 320, 1125, 539, 320, 2368, 49407, 49407 }, ids[..8]);
    }

    [Fact]
    public void GenerateWritesReproduciblePngsWithParameters()
    {
        using var tmp = new TempFolder();
        string[] common = ["generate", "--model", AlphaFixture.Folder, "--prompt", "a photo of a cat", "--steps", "4", "--seed", "7"];
        var (code, stdout, stderr) = StudioProcess.Run([.. common, "--count", "2", "--out", tmp.File("a")]);
        Assert.True(code == 0, stderr);
        var files = stdout.Trim().Split('\n');
        Assert.Equal(2, files.Length);
        var meta = DiffusionEngine.Images.PngImageFile.ReadParameters(files[1]);
        Assert.Equal(8, meta.Seed);
        Assert.Equal(16, meta.Width);
        Assert.Contains("Steps: 4, Sampler: DDIM, CFG scale: 7.5, Seed: 8, Size: 16x16",
            DiffusionEngine.Images.PngImageFile.ReadText(files[1])["parameters"]);

        // The same command again gives the same bytes.
        var (code2, stdout2, stderr2) = StudioProcess.Run([.. common, "--count", "2", "--out", tmp.File("b")]);
        Assert.True(code2 == 0, stderr2);
        Assert.Equal(File.ReadAllBytes(files[1]), File.ReadAllBytes(stdout2.Trim().Split('\n')[1]));

        // Image 8 alone (seed 8, batch of one) is the second image of the batch, up to float rounding.
        var (code3, stdout3, stderr3) = StudioProcess.Run(["generate", "--model", AlphaFixture.Folder, "--prompt", "a photo of a cat", "--steps", "4", "--seed", "8", "--out", tmp.File("c")]);
        Assert.True(code3 == 0, stderr3);
        using var batched = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(files[1]);
        using var single = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(stdout3.Trim());
        var a = new byte[16 * 16 * 3];
        var b = new byte[16 * 16 * 3];
        batched.CopyPixelDataTo(a);
        single.CopyPixelDataTo(b);
        Assert.True(a.Zip(b).Max(p => Math.Abs(p.First - p.Second)) <= 2, "batched and single images differ by more than rounding");
    }

    [Fact]
    public void GenerateWithSldSteersAndRecordsItInThePng()
    {
        using var tmp = new TempFolder();
        string[] common = ["generate", "--model", AlphaFixture.Folder, "--prompt", "a photo of a cat", "--steps", "4", "--seed", "7"];
        var (code, plainOut, stderr) = StudioProcess.Run([.. common, "--out", tmp.File("plain")]);
        Assert.True(code == 0, stderr);
        (code, var sldOut, stderr) = StudioProcess.Run([.. common, "--sld", "a photo of a cat, painting", "--sld-preset", "max", "--out", tmp.File("max")]);
        Assert.True(code == 0, stderr);
        var meta = DiffusionEngine.Images.PngImageFile.ReadParameters(sldOut.Trim());
        Assert.Equal("a photo of a cat, painting", meta.Safety!.Concept);
        Assert.Equal("max", meta.Safety.Preset);
        Assert.Equal(5000, meta.Safety.GuidanceScale);
        Assert.Null(DiffusionEngine.Images.PngImageFile.ReadParameters(plainOut.Trim()).Safety);
        var text = DiffusionEngine.Images.PngImageFile.ReadText(sldOut.Trim())["parameters"];
        Assert.Contains("SLD concept: \"a photo of a cat, painting\", SLD: \"max (warm-up 0, scale 5000, threshold 1, momentum 0.5, beta 0.7)\"", text);
        Assert.NotEqual(File.ReadAllBytes(plainOut.Trim()), File.ReadAllBytes(sldOut.Trim()));

        // An overridden value leaves the preset: recorded as custom, with the value given.
        (code, var customOut, stderr) = StudioProcess.Run([.. common, "--sld", "painting", "--sld-warmup-steps", "2", "--out", tmp.File("custom")]);
        Assert.True(code == 0, stderr);
        var custom = DiffusionEngine.Images.PngImageFile.ReadParameters(customOut.Trim()).Safety!;
        Assert.Equal((null, 2, 1000.0), (custom.Preset, custom.WarmupSteps, custom.GuidanceScale));

        // Bad input is named, and nothing is written.
        (code, _, stderr) = StudioProcess.Run([.. common, "--sld", "painting", "--sld-preset", "extreme", "--out", tmp.File("bad")]);
        Assert.Equal(2, code);
        Assert.Contains("--sld-preset", stderr);
        Assert.Contains("weak, medium, strong, max", stderr);
        (code, _, stderr) = StudioProcess.Run([.. common, "--sld-threshold", "0.1", "--out", tmp.File("bad")]);
        Assert.Equal(2, code);
        Assert.Contains("--sld-threshold needs --sld", stderr);
        (code, _, stderr) = StudioProcess.Run([.. common, "--sld", "painting", "--sld-momentum-beta", "2", "--out", tmp.File("bad")]);
        Assert.Equal(2, code);
        Assert.Contains("--sld-momentum-beta", stderr);
        Assert.False(Directory.Exists(tmp.File("bad")) && Directory.EnumerateFiles(tmp.File("bad")).Any());
    }

    [Fact]
    public void GenerateOnSdxlWritesPngsWithA1111Parameters()
    {
        using var tmp = new TempFolder();
        var (code, stdout, stderr) = StudioProcess.Run("generate", "--model", SdxlAlphaFixture.Folder, "--prompt", "a photo of a cat",
            "--steps", "3", "--seed", "9", "--count", "2", "--out", tmp.Path);
        Assert.True(code == 0, stderr + stdout);
        Assert.Equal(2, Directory.GetFiles(tmp.Path, "*.png").Length);
        string[] files = [Path.Combine(tmp.Path, "9.png"), Path.Combine(tmp.Path, "10.png")];
        var parameters = DiffusionEngine.Images.PngImageFile.ReadText(files[0])["parameters"];
        Assert.StartsWith("a photo of a cat\n", parameters);
        Assert.Contains("Steps: 3, Sampler: Euler, CFG scale: 7.5, Seed: 9, Size: 64x64", parameters);
        Assert.Contains("Seed: 10", DiffusionEngine.Images.PngImageFile.ReadText(files[1])["parameters"]);
    }

    [Theory]
    [InlineData("alpha")]
    [InlineData("sdxl-alpha")]
    public void GenerateOnASingleFileGivesTheFolderModelsImages(string fixture)
    {
        var (folder, file) = fixture == "alpha" ? (AlphaFixture.Folder, SingleFileFixtures.Alpha) : (SdxlAlphaFixture.Folder, SingleFileFixtures.SdxlAlpha);
        using var tmp = new TempFolder();
        string[] common = ["generate", "--prompt", "a photo of a cat", "--steps", "3", "--seed", "5"];
        var (code, fromFolder, stderr) = StudioProcess.Run([.. common, "--model", folder, "--out", tmp.File("folder")]);
        Assert.True(code == 0, stderr);
        var (fileCode, fromFile, fileErr) = StudioProcess.Run([.. common, "--model", file, "--config", folder, "--out", tmp.File("file")]);
        Assert.True(fileCode == 0, fileErr);
        using var a = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(fromFolder.Trim());
        using var b = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(fromFile.Trim());
        var pa = new byte[a.Width * a.Height * 3];
        var pb = new byte[b.Width * b.Height * 3];
        a.CopyPixelDataTo(pa);
        b.CopyPixelDataTo(pb);
        Assert.Equal(pa, pb);
        // The same A1111-style parameters: the model hash is the U-Net's, the model name the file's or folder's.
        var parameters = DiffusionEngine.Images.PngImageFile.ReadText(fromFile.Trim())["parameters"];
        Assert.Contains("Steps: 3, Sampler: ", parameters);
        Assert.Equal(DiffusionEngine.Images.PngImageFile.ReadText(fromFolder.Trim())["parameters"], parameters);
    }

    [Fact]
    public void AConfigFolderIsForSingleFilesOnly()
    {
        var (code, _, stderr) = StudioProcess.Run("generate", "--model", AlphaFixture.Folder, "--config", AlphaFixture.Folder, "--prompt", "x", "--steps", "1");
        Assert.NotEqual(0, code);
        Assert.Contains("--config", stderr);
        Assert.Contains("single-file checkpoints only", stderr);

        (code, _, stderr) = StudioProcess.Run("generate", "--model", "no-such-model.safetensors", "--prompt", "x", "--steps", "1");
        Assert.NotEqual(0, code);
        Assert.Contains("no-such-model.safetensors: no such model folder or checkpoint file", stderr);

        // The tiny file against SD 1.5's published configs (the default): refused naming the tensors, nothing generated.
        using var tmp = new TempFolder();
        (code, _, stderr) = StudioProcess.Run("generate", "--model", SingleFileFixtures.Alpha, "--prompt", "x", "--steps", "1", "--out", tmp.Path);
        Assert.NotEqual(0, code);
        Assert.Contains("position_embedding", stderr);
        Assert.Empty(Directory.GetFiles(tmp.Path));
    }

    [Fact]
    public void ProbeOnSdxlWritesTheReferenceOutputs()
    {
        using var tmp = new TempFolder();
        var outPath = tmp.File("probe.safetensors");
        var (code, _, stderr) = StudioProcess.Run("model", "probe", SdxlAlphaFixture.Folder, "--inputs", SdxlAlphaFixture.Inputs, "--out", outPath);
        Assert.True(code == 0, stderr);
        var actual = AlphaFixture.ReadAll(outPath);
        var reference = AlphaFixture.ReadAll(SdxlAlphaFixture.Outputs);
        Assert.Equal(reference.Keys.Order(), actual.Keys.Order()); // every reference output is written
        foreach (var (name, expected) in reference)
        {
            if (name.EndsWith(".timesteps") || name == "sampling.add_time_ids")
                Assert.True(actual[name].to(TorchSharp.torch.ScalarType.Float64).equal(expected.to(TorchSharp.torch.ScalarType.Float64)).all().item<bool>(), name);
            else
                Assert.True(Tolerances.RelativeError(actual[name], expected) <= 1e-4, $"{name}: {Tolerances.RelativeError(actual[name], expected):E2}");
        }
    }
}
