using DiffusionEngine.Loading;
using DiffusionEngine.Safetensors;
using DiffusionEngine.SingleFile;
using DiffusionEngine.StableDiffusion;
using TestUtilities;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DiffusionEngine.Tests.SingleFile;

/// <summary>SD 1.x single files end to end: the alpha fixture's file loads into the same model as its folder.</summary>
public class SingleFileModelTests(ITestOutputHelper output)
{
    private static string Probe(string file) => Path.Combine(AlphaFixture.Folder, "probe", file);

    [Fact]
    public void AlphaSingleFileGivesTheFolderModelAndItsProbeOutputs()
    {
        using var single = StableDiffusionModel.LoadSingleFile(SingleFileFixtures.Alpha, CPU, ScalarType.Float32, config: AlphaFixture.Folder);
        Assert.Equal(Path.GetFullPath(SingleFileFixtures.Alpha), single.SingleFilePath);
        Assert.All(single.Reports, r => Assert.True(r.IsClean, r.Describe()));
        Assert.Equal(["text_encoder", "unet", "vae"], single.Reports.Select(r => r.Component));

        // The same tensors as the folder's, bit for bit.
        using (var folder = StableDiffusionModel.Load(AlphaFixture.Folder, CPU, ScalarType.Float32))
        {
            Assert.Null(folder.SingleFilePath);
            ReferenceAssert.SameTensors("text_encoder", single.TextEncoder, folder.TextEncoder);
            ReferenceAssert.SameTensors("unet", single.Unet, folder.Unet);
            ReferenceAssert.SameTensors("vae", single.Vae, folder.Vae);
        }

        using var inputs = SafetensorsFile.Open(Probe("inputs.safetensors"));
        using var outputs = SafetensorsFile.Open(Probe("outputs.safetensors"));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var ids = single.Tokenizer.EncodeBatch(["a photo of a cat", "a painting in the style of van gogh"]);
        Assert.Equal(inputs.Read("text_input_ids").data<long>().ToArray(), ids.data<long>().ToArray());
        ReferenceAssert.Close(output, outputs, "text_encoder.last_hidden_state", single.TextEncoder.forward(ids));
        ReferenceAssert.Close(output, outputs, "unet.out", single.Unet.forward(inputs.Read("unet.sample"), inputs.Read("unet.timestep"), inputs.Read("unet.encoder_hidden_states")));
        ReferenceAssert.Close(output, outputs, "vae.decoded", single.Vae.Decode(inputs.Read("vae.latents") / single.Vae.Config.ScalingFactor));
        ReferenceAssert.Close(output, outputs, "vae.encoded_mean", single.Vae.Encode(inputs.Read("vae.image")));
    }

    [Fact]
    public void InHalfPrecisionTheSingleFileGivesTheFolderModelToo()
    {
        using var single = StableDiffusionModel.LoadSingleFile(SingleFileFixtures.Alpha, CPU, ScalarType.Float16, config: AlphaFixture.Folder);
        using var folder = StableDiffusionModel.Load(AlphaFixture.Folder, CPU, ScalarType.Float16);
        ReferenceAssert.SameTensors("text_encoder", single.TextEncoder, folder.TextEncoder, ScalarType.Float16);
        ReferenceAssert.SameTensors("unet", single.Unet, folder.Unet, ScalarType.Float16);
        ReferenceAssert.SameTensors("vae", single.Vae, folder.Vae, ScalarType.Float16);
    }

    [Fact]
    public void WithoutATokenizerInTheConfigsTheProductVocabularyIsUsed()
    {
        var configs = SingleFileModelLoader.ConfigFolder(null, CheckpointFamily.StableDiffusion1);
        Assert.Equal(Path.GetFullPath(RepoPaths.Sd15Configs), configs.Root);
        Assert.False(File.Exists(Path.Combine(configs.ComponentFolder(ModelFolder.Tokenizer), "vocab.json")));
        var tokenizer = SingleFileModelLoader.TokenizerFor(configs, ModelFolder.Tokenizer);
        Assert.Equal(49408, tokenizer.VocabSize);
        Assert.Equal(new long[] { 49406, 320, 1125, 539, 320, 2368, 49407, 49407 }, tokenizer.Encode("a photo of a cat")[..8]);
    }

    [Fact]
    public void TheDefaultSd15ConfigsNameEveryTensorTheTinyFileDoesNotFit()
    {
        // alpha's shapes are not SD 1.5's: nothing may be copied, and the error says which tensors and against what.
        var e = Assert.Throws<ModelLoadException>(() => StableDiffusionModel.LoadSingleFile(SingleFileFixtures.Alpha, CPU, ScalarType.Float32).Dispose());
        output.WriteLine(e.Message[..Math.Min(e.Message.Length, 2000)]);
        Assert.StartsWith(Path.GetFullPath(SingleFileFixtures.Alpha), e.Message);
        Assert.Contains("text_encoder: ", e.Message);
        Assert.Contains("mismatched tensors: cond_stage_model.transformer.text_model.embeddings.position_embedding.weight (file [77, 32]; model text_model.embeddings.position_embedding.weight [77, 768])", e.Message);
        Assert.Contains("unet: ", e.Message);
        Assert.Contains("model.diffusion_model.input_blocks.0.0.weight (file [32, 4, 3, 3]; model conv_in.weight [320, 4, 3, 3])", e.Message);
        Assert.Contains("vae: ", e.Message);
        Assert.Contains("Stable Diffusion 1.5", e.Message);
    }
}
