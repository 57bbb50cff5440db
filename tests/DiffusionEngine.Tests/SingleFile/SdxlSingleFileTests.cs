using DiffusionEngine.Loading;
using DiffusionEngine.Safetensors;
using DiffusionEngine.Scheduling;
using DiffusionEngine.SingleFile;
using DiffusionEngine.StableDiffusion;
using DiffusionEngine.Unet;
using TestUtilities;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DiffusionEngine.Tests.SingleFile;

/// <summary>SDXL single files end to end: sdxl-alpha's SGM-layout file loads into the same model as its folder.</summary>
public class SdxlSingleFileTests(ITestOutputHelper output)
{
    private static readonly string[] Components = ["text_encoder", "text_encoder_2", "unet", "vae"];

    private static IEnumerable<(string Name, nn.Module Module)> Modules(StableDiffusionModel m) =>
        [("text_encoder", m.TextEncoder), ("text_encoder_2", m.TextEncoder2!), ("unet", m.Unet), ("vae", m.Vae)];

    [Fact]
    public void TheSingleFileGivesTheFolderModelBitForBitAndTheReferenceOutputs()
    {
        using var single = StableDiffusionModel.LoadSingleFile(SingleFileFixtures.SdxlAlpha, CPU, ScalarType.Float32, config: SdxlAlphaFixture.Folder);
        Assert.Equal(ModelFamily.StableDiffusionXL, single.Family);
        Assert.True(single.ForceZerosForEmptyPrompt);
        Assert.Equal(Path.GetFullPath(SingleFileFixtures.SdxlAlpha), single.SingleFilePath);
        Assert.All(single.Reports, r => Assert.True(r.IsClean, r.Describe()));
        Assert.Equal(Components, single.Reports.Select(r => r.Component));

        using (var folder = StableDiffusionModel.Load(SdxlAlphaFixture.Folder, CPU, ScalarType.Float32))
        {
            foreach (var ((name, a), (_, b)) in Modules(single).Zip(Modules(folder)))
                ReferenceAssert.SameTensors(name, a, b);
        }

        using var inputs = SafetensorsFile.Open(SdxlAlphaFixture.Inputs);
        using var outputs = SafetensorsFile.Open(SdxlAlphaFixture.Outputs);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Assert.Equal(inputs.Read("text_input_ids_2").data<long>().ToArray(), single.Tokenizer2!.EncodeBatch(SdxlAlphaFixture.Prompts).data<long>().ToArray());
        void Close(string name, Tensor actual) => ReferenceAssert.Close(output, outputs, name, actual);
        var cond = single.EncodePrompts(SdxlAlphaFixture.Prompts);
        Close("prompt_embeds", cond.HiddenStates);
        Close("pooled_prompt_embeds", cond.Added!.TextEmbeds);
        Close("unet.out", single.Unet.forward(inputs.Read("unet.sample"), inputs.Read("unet.timestep"), inputs.Read("unet.encoder_hidden_states"),
            new AddedConditions(inputs.Read("unet.text_embeds"), inputs.Read("unet.time_ids"))));

        var first = single.EncodePrompts([SdxlAlphaFixture.Prompts[0]]);
        var uncond = single.EncodeNegative([""], 1);
        using var scheduler = single.CreateScheduler();
        Assert.IsType<EulerDiscreteScheduler>(scheduler);
        var latents = GuidedSampler.Sample(single.Unet, scheduler, inputs.Read("sampling.initial_latents"), first, uncond, 5.0, 8);
        Close("euler.final_latents", latents);
        Close("euler.image", single.DecodeLatents(latents));
    }

    [Fact]
    public void InHalfPrecisionTheVaeIsUpcastAsItsConfigAsks()
    {
        using var single = StableDiffusionModel.LoadSingleFile(SingleFileFixtures.SdxlAlpha, CPU, ScalarType.Float16, config: SdxlAlphaFixture.Folder);
        Assert.All(single.Unet.parameters(), p => Assert.Equal(ScalarType.Float16, p.dtype));
        Assert.All(single.TextEncoder2!.parameters(), p => Assert.Equal(ScalarType.Float16, p.dtype));
        Assert.All(single.Vae.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.Equal(ScalarType.Float32, single.VaeDtype);
    }

    [Fact]
    public void TheDefaultSdxlBaseConfigsNameEveryTensorTheTinyFileDoesNotFit()
    {
        var e = Assert.Throws<ModelLoadException>(() => StableDiffusionModel.LoadSingleFile(SingleFileFixtures.SdxlAlpha, CPU, ScalarType.Float32).Dispose());
        output.WriteLine(e.Message[..Math.Min(e.Message.Length, 2000)]);
        Assert.StartsWith(Path.GetFullPath(SingleFileFixtures.SdxlAlpha), e.Message);
        Assert.Contains("text_encoder_2: ", e.Message);
        Assert.Contains("conditioner.embedders.1.model.positional_embedding (file [77, ", e.Message);
        Assert.Contains("(SDXL base 1.0's; give the configs of the model's diffusers folder for another shape)", e.Message);
    }

    [Fact]
    public void Sd1ConfigsForAnSdxlFileAreRefusedNamingTheConfig()
    {
        var e = Assert.Throws<ModelLoadException>(() =>
            StableDiffusionModel.LoadSingleFile(SingleFileFixtures.SdxlAlpha, CPU, ScalarType.Float32, config: AlphaFixture.Folder).Dispose());
        Assert.Contains("an SDXL checkpoint", e.Message);
        Assert.Contains(Path.Combine(AlphaFixture.Folder, "unet", "config.json"), e.Message);
        Assert.Contains("text_time", e.Message);
    }

    [Fact]
    public void WithoutVocabulariesInTheConfigsBothTokenizersUseTheProductVocabularyWithTheirPadding()
    {
        var configs = SingleFileModelLoader.ConfigFolder(null, CheckpointFamily.StableDiffusionXL);
        Assert.Equal(Path.GetFullPath(RepoPaths.SdxlConfigs), configs.Root);
        var first = SingleFileModelLoader.TokenizerFor(configs, ModelFolder.Tokenizer);
        var second = SingleFileModelLoader.TokenizerFor(configs, ModelFolder.Tokenizer2);
        Assert.Equal(49408, second.VocabSize);
        Assert.Equal(first.EndTokenId, first.PadTokenId);
        Assert.Equal(0, second.PadTokenId);  // "!"
        using var inputs = SafetensorsFile.Open(SdxlAlphaFixture.Inputs);
        using var neg1 = inputs.Read("negative_input_ids");
        using var neg2 = inputs.Read("negative_input_ids_2");
        Assert.Equal(neg1.data<long>().ToArray(), first.Encode(""));
        Assert.Equal(neg2.data<long>().ToArray(), second.Encode(""));
    }
}
