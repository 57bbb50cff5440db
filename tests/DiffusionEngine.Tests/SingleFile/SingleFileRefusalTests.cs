using DiffusionEngine.Loading;
using DiffusionEngine.Safetensors;
using DiffusionEngine.SingleFile;
using DiffusionEngine.StableDiffusion;
using TestUtilities;
using static TorchSharp.torch;

namespace DiffusionEngine.Tests.SingleFile;

/// <summary>What a single-file load refuses, and that each refusal names the file, the tensor and why.</summary>
public class SingleFileRefusalTests
{
    private static StableDiffusionModel LoadAlphaLike(string path) =>
        StableDiffusionModel.LoadSingleFile(path, CPU, ScalarType.Float32, config: AlphaFixture.Folder);

    /// <summary>alpha.safetensors with its tensors edited, written into <paramref name="tmp"/>.</summary>
    private static string EditedAlpha(TempFolder tmp, Action<Dictionary<string, Tensor>> edit, string name = "edited.safetensors")
    {
        var tensors = AlphaFixture.ReadAll(SingleFileFixtures.Alpha);
        try
        {
            edit(tensors);
            var path = tmp.File(name);
            SafetensorsWriter.Write(path, tensors);
            return path;
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    private static void Replace(Dictionary<string, Tensor> tensors, string key, Tensor value)
    {
        if (tensors.Remove(key, out var old)) old.Dispose();
        tensors[key] = value;
    }

    [Fact]
    public void MissingUnexpectedAndMismatchedTensorsAreAllNamed()
    {
        using var tmp = new TempFolder();
        var path = EditedAlpha(tmp, t =>
        {
            t.Remove("model.diffusion_model.input_blocks.0.0.bias", out var removed);
            removed!.Dispose();
            t["model.diffusion_model.input_blocks.1.2.weight"] = zeros(3);
            t["lora_unet_extra.weight"] = zeros(2);
            Replace(t, "first_stage_model.decoder.mid.attn_1.q.weight", zeros(64, 64));
        });
        var e = Assert.Throws<ModelLoadException>(() => LoadAlphaLike(path).Dispose());
        Assert.StartsWith(path, e.Message);
        Assert.Contains("unet: missing tensors: model.diffusion_model.input_blocks.0.0.bias (for conv_in.bias)", e.Message);
        Assert.Contains("unexpected tensors: model.diffusion_model.input_blocks.1.2.weight", e.Message);
        Assert.Contains("vae: mismatched tensors: first_stage_model.decoder.mid.attn_1.q.weight (file [64, 64], which reshape [O, I, 1, 1] -> [O, I] cannot take; model decoder.mid_block.attentions.0.to_q.weight [64, 64])", e.Message);
        Assert.Contains("checkpoint: unexpected tensors: lora_unet_extra.weight", e.Message);
    }

    [Fact]
    public void ANanWeightIsRefusedNamingTheFileTensorAndTheModelTensor()
    {
        using var tmp = new TempFolder();
        var path = EditedAlpha(tmp, t => t["first_stage_model.decoder.mid.attn_1.k.weight"].view(-1)[5] = tensor(float.NaN));
        var e = Assert.Throws<ModelLoadException>(() => LoadAlphaLike(path).Dispose());
        Assert.Contains("'first_stage_model.decoder.mid.attn_1.k.weight' (vae decoder.mid_block.attentions.0.to_k.weight) holds NaN or infinite values", e.Message);
    }

    [Fact]
    public void TheOriginalCodesExtraTensorsAreLeftAlone()
    {
        using var tmp = new TempFolder();
        var path = EditedAlpha(tmp, t =>
        {
            t["cond_stage_model.transformer.text_model.embeddings.position_ids"] = arange(77L, ScalarType.Int64).unsqueeze(0);
            foreach (var buffer in SingleFileLayout.ScheduleBuffers) t[buffer] = zeros(1000);
            t["model_ema.decay"] = tensor(0.9999f);
            t["model_ema.num_updates"] = tensor(10, ScalarType.Int32);
        });
        using var model = LoadAlphaLike(path);
        Assert.All(model.Reports, r => Assert.True(r.IsClean, r.Describe()));
    }

    [Theory]
    [InlineData("model.ckpt")]
    [InlineData("model.pt")]
    [InlineData("model.bin")]
    public void PickleCheckpointsAreRefusedByName(string name)
    {
        using var tmp = new TempFolder();
        var path = tmp.File(name);
        File.WriteAllBytes(path, [0x80, 0x02, 0x7d, 0x71, 0x00]);
        var e = Assert.Throws<ModelLoadException>(() => LoadAlphaLike(path).Dispose());
        Assert.Contains(path, e.Message);
        Assert.Contains("arbitrary code", e.Message);
    }

    [Fact]
    public void APickleUnderASafetensorsNameIsRefusedByItsContent()
    {
        using var tmp = new TempFolder();
        var zip = tmp.File("zip.safetensors");
        File.WriteAllBytes(zip, [(byte)'P', (byte)'K', 3, 4, 20, 0, 0, 0, 8, 0]);
        var e = Assert.Throws<ModelLoadException>(() => LoadAlphaLike(zip).Dispose());
        Assert.Contains(zip, e.Message);
        Assert.Contains("PyTorch zip archive", e.Message);
        var pickle = tmp.File("pickle.safetensors");
        File.WriteAllBytes(pickle, [0x80, 0x04, 0x95, 0, 0, 0, 0, 0, 0, 0]);
        e = Assert.Throws<ModelLoadException>(() => LoadAlphaLike(pickle).Dispose());
        Assert.Contains("PyTorch pickle", e.Message);
    }

    [Fact]
    public void ATruncatedFileIsRefusedNamingIt()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("cut.safetensors");
        var bytes = File.ReadAllBytes(SingleFileFixtures.Alpha);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<SafetensorsException>(() => LoadAlphaLike(path).Dispose());
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void AFileWithoutItsVaeIsRefusedNamingTheComponent()
    {
        using var tmp = new TempFolder();
        var path = EditedAlpha(tmp, t =>
        {
            foreach (var key in t.Keys.Where(k => k.StartsWith("first_stage_model.", StringComparison.Ordinal)).ToList())
                if (t.Remove(key, out var v)) v.Dispose();
        });
        var e = Assert.Throws<ModelLoadException>(() => LoadAlphaLike(path).Dispose());
        Assert.Contains(path, e.Message);
        Assert.Contains("Stable Diffusion 1.x checkpoint without its VAE tensors ('first_stage_model.*')", e.Message);
    }

    [Fact]
    public void AnSdxlCheckpointIsRecognisedAndNotLoadedWithSd1Configs()
    {
        using (var checkpoint = SingleFileCheckpoint.Open(SingleFileFixtures.SdxlAlpha))
            Assert.Equal(CheckpointFamily.StableDiffusionXL, checkpoint.Family);
        var e = Assert.Throws<ModelLoadException>(() => LoadAlphaLike(SingleFileFixtures.SdxlAlpha).Dispose());
        Assert.Contains(Path.GetFullPath(SingleFileFixtures.SdxlAlpha), e.Message);
        Assert.Contains("SDXL checkpoint", e.Message);
    }

    [Fact]
    public void OtherFamiliesAndDiffusersComponentFilesAreRefusedSayingWhatTheyAre()
    {
        using var tmp = new TempFolder();
        var sd2 = EditedAlpha(tmp, t =>
        {
            foreach (var key in t.Keys.Where(k => k.StartsWith("cond_stage_model.transformer.", StringComparison.Ordinal)).ToList())
                if (t.Remove(key, out var v)) v.Dispose();
            t["cond_stage_model.model.positional_embedding"] = zeros(77, 8);
        }, "sd2.safetensors");
        Assert.Contains("Stable Diffusion 2.x", Assert.Throws<ModelLoadException>(() => LoadAlphaLike(sd2).Dispose()).Message);

        var refiner = tmp.File("refiner.safetensors");
        SafetensorsWriter.Write(refiner, [new("conditioner.embedders.0.model.positional_embedding", zeros(77, 8)), new("model.diffusion_model.out.2.bias", zeros(4))]);
        Assert.Contains("SDXL refiner", Assert.Throws<ModelLoadException>(() => LoadAlphaLike(refiner).Dispose()).Message);

        var unetOnly = Path.Combine(AlphaFixture.Folder, "unet", "diffusion_pytorch_model.safetensors");
        var e = Assert.Throws<ModelLoadException>(() => LoadAlphaLike(unetOnly).Dispose());
        Assert.Contains(unetOnly, e.Message);
        Assert.Contains("one component of a diffusers model folder", e.Message);

        e = Assert.Throws<ModelLoadException>(() => LoadAlphaLike(AlphaFixture.Folder).Dispose());
        Assert.Contains("a folder, not a single-file checkpoint", e.Message);
    }

    [Fact]
    public void LoadingComponentsNeedsTheCheckpointsFamilyAndOneModulePerComponent()
    {
        using var sdxl = SingleFileCheckpoint.Open(SingleFileFixtures.SdxlAlpha);
        var sd1Layout = FixturePair.Get(FixturePair.Sd1).Layout;
        var e = Assert.Throws<ArgumentException>(() => SingleFileModules.Check(sdxl, sd1Layout, new Dictionary<string, TorchSharp.torch.nn.Module>()));
        Assert.Contains("an SDXL checkpoint, checked against the Stable Diffusion 1.x layout", e.Message);

        using var sd1 = SingleFileCheckpoint.Open(SingleFileFixtures.Alpha);
        using var vae = new DiffusionEngine.Vae.AutoencoderKL(DiffusionEngine.Vae.VaeConfig.Load(Path.Combine(AlphaFixture.Folder, "vae", "config.json")));
        e = Assert.Throws<ArgumentException>(() => SingleFileModules.Check(sd1, sd1Layout, new Dictionary<string, TorchSharp.torch.nn.Module> { ["vae"] = vae, ["refiner"] = vae }));
        Assert.Contains("missing text_encoder, unet; not a component: refiner", e.Message);
    }
}
