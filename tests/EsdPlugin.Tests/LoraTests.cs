using EsdPlugin.Commands;
using Host.Abstractions;
using SampleHost.Plugins;
using TestUtilities;
using static TorchSharp.torch;

namespace EsdPlugin.Tests;

/// <summary>Deltas as LoRA files other hosts load, and LoRA files loaded back as patches.</summary>
[Collection(HeavyTests.Name)]
public class LoraTests
{
    private static async Task<Dictionary<string, Tensor>> Edited(Harness h, string method)
    {
        await h.Run(EraseConceptCommand.Create(h.Services), new()
        {
            ["concepts"] = "cat", ["iterations"] = "1", ["ddim-steps"] = "2", ["learning-rate"] = "1e-2", ["name"] = "e", ["method"] = method,
        });
        await h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = "e" });
        var edited = await h.UnetTensors();
        await h.Run(RestoreOriginalCommand.Create(h.Services), []);
        return edited;
    }

    private static Dictionary<string, long[]> Header(string path) =>
        h2.ReadHeader(path).Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.Shape);

    private static readonly ITensorFiles h2 = SafetensorsFiles.Instance;

    [Fact]
    public async Task AnExactLoraLoadsBackAsTheEditedWeightsUnderTheNamesHostsRead()
    {
        using var h = new Harness();
        var original = await h.UnetTensors();
        var edited = await Edited(h, "esd-x");
        var export = await h.Run(ExportLoraCommand.Create(h.Services), new() { ["delta"] = "e", ["form"] = "exact" });
        var file = Assert.Single(export.Files);
        Assert.EndsWith("e-lora-exact.safetensors", file);

        // Original-layout layer names (A1111, ComfyUI, kohya's SDXL form), a diff per weight, a diff_b per bias.
        var header = Header(file);
        Assert.Contains("lora_unet_input_blocks_1_1_transformer_blocks_0_attn2_to_k.diff", header.Keys);
        Assert.Equal(original["down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight"].shape, header["lora_unet_input_blocks_1_1_transformer_blocks_0_attn2_to_k.diff"]);
        Assert.Contains("lora_unet_input_blocks_1_1_transformer_blocks_0_attn2_to_out_0.diff_b", header.Keys);
        Assert.DoesNotContain(header.Keys, k => k.StartsWith("lora_unet_down_blocks", StringComparison.Ordinal));
        var metadata = h2.ReadHeader(file).Metadata;
        Assert.Equal("sd_v1", metadata["ss_base_model_version"]);
        Assert.Equal("cat", metadata["esd_concepts"]);

        var loaded = await h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = file });
        Assert.Contains("stamp lora:", loaded.Message);
        var after = await h.UnetTensors();
        long elements = 0, identical = 0;
        foreach (var (name, value) in after)
        {
            // base + (edited − base) in float32: the edited weights to within float32 rounding of that sum.
            Assert.True(allclose(value, edited[name], rtol: 1e-6, atol: 1e-7), $"{name} is not the edited weight");
            using var same = value.eq(edited[name]);
            identical += same.sum().item<long>();
            elements += value.numel();
        }
        Assert.True(identical > elements * 0.9, $"{identical} of {elements} elements bit-identical");
    }

    [Fact]
    public async Task ACompactLoraIsTheDifferencesRankRPartWithItsErrorReported()
    {
        using var h = new Harness();
        var original = await h.UnetTensors();
        var edited = await Edited(h, "esd-u");
        var export = await h.Run(ExportLoraCommand.Create(h.Services), new() { ["delta"] = "e", ["rank"] = "2", ["conv-rank"] = "3" });
        var file = Assert.Single(export.Files);
        Assert.Matches(@"low-rank layers: relative error mean 0\.\d+, worst 0\.\d+", export.Message);
        var header = Header(file);
        // A Linear layer: [r, in] and [out, r]; a 3x3 convolution: [r, in, 3, 3] and [out, r, 1, 1]; alpha a scalar.
        var ff = "lora_unet_input_blocks_1_1_transformer_blocks_0_ff_net_2";
        var w = original["down_blocks.0.attentions.0.transformer_blocks.0.ff.net.2.weight"];
        Assert.Equal([2, w.shape[1]], header[ff + ".lora_down.weight"]);
        Assert.Equal([w.shape[0], 2], header[ff + ".lora_up.weight"]);
        Assert.Equal([], header[ff + ".alpha"]);
        var conv = "lora_unet_input_blocks_1_0_in_layers_2";
        var c = original["down_blocks.0.resnets.0.conv1.weight"];
        Assert.Equal([3, c.shape[1], 3, 3], header[conv + ".lora_down.weight"]);
        Assert.Equal([c.shape[0], 3, 1, 1], header[conv + ".lora_up.weight"]);
        Assert.Contains(conv + ".diff_b", header.Keys);

        // Loaded: the base plus up·down for each layer; at full rank that is the edit again.
        await h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = file });
        var low = await h.UnetTensors();
        using (var contents = h2.Read(file))
        {
            var name = "down_blocks.0.attentions.0.transformer_blocks.0.ff.net.2.weight";
            using var product = contents.Tensors[ff + ".lora_up.weight"].matmul(contents.Tensors[ff + ".lora_down.weight"]);
            using var expected = original[name] + product;
            Assert.True(allclose(low[name], expected, rtol: 1e-5, atol: 1e-6));
        }
        var full = await h.Run(ExportLoraCommand.Create(h.Services), new() { ["delta"] = "e", ["rank"] = "4096", ["out"] = Path.Combine(h.DataFolder, "full.safetensors") });
        Assert.Contains("relative error mean 0, worst 0", full.Message.Replace("0.0000", "0"));
        await h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = Path.Combine(h.DataFolder, "full.safetensors") });
        foreach (var (name, value) in await h.UnetTensors())
            Assert.True(allclose(value, edited[name], rtol: 1e-4, atol: 1e-5), $"{name}: a full-rank LoRA is not the edit");
    }

    [Fact]
    public async Task AnSdxlLoraUsesTheSgmNamesAndLoadsBack()
    {
        using var h = new Harness(SdxlAlphaFixture.Folder);
        var edited = await Edited(h, "esd-x");
        var file = Assert.Single((await h.Run(ExportLoraCommand.Create(h.Services), new() { ["delta"] = "e", ["form"] = "exact" })).Files);
        var header = Header(file);
        Assert.All(header.Keys, k => Assert.StartsWith("lora_unet_", k));
        Assert.DoesNotContain(header.Keys, k => k.StartsWith("lora_unet_down_blocks", StringComparison.Ordinal) || k.StartsWith("lora_unet_up_blocks", StringComparison.Ordinal));
        Assert.Contains(header.Keys, k => k.StartsWith("lora_unet_input_blocks_", StringComparison.Ordinal) && k.Contains("_attn2_to_k."));
        Assert.Equal("sdxl_base_v1-0", h2.ReadHeader(file).Metadata["ss_base_model_version"]);
        await h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = file });
        foreach (var (name, value) in await h.UnetTensors())
            Assert.True(allclose(value, edited[name], rtol: 1e-6, atol: 1e-7), $"{name} is not the edited weight");
    }

    [Fact]
    public async Task ExportsOfADeltaForAnotherBaseAreRefused()
    {
        string delta;
        using (var alpha = new Harness())
        {
            await Edited(alpha, "esd-x");
            delta = Path.Combine(Path.GetTempPath(), $"alpha-delta-{Guid.NewGuid():N}.safetensors");
            File.Copy(alpha.Services.Store.Resolve("e").Path, delta);
        }
        try
        {
            using var bundled = new Harness(RepoPaths.BundledModel);
            var e = await Assert.ThrowsAsync<InvalidDataException>(() => bundled.Run(ExportLoraCommand.Create(bundled.Services), new() { ["delta"] = delta }));
            Assert.Contains("was not made for the live model's base", e.Message);
            e = await Assert.ThrowsAsync<InvalidDataException>(() => bundled.Run(ExportModelCommand.Create(bundled.Services), new() { ["delta"] = delta }));
            Assert.Contains("was not made for the live model's base", e.Message);
        }
        finally
        {
            File.Delete(delta);
        }
    }

    [Fact]
    public async Task ALoraThatDoesNotFitIsRefusedNamingWhatAndNothingChanges()
    {
        using var h = new Harness();
        var before = await h.UnetBytes();
        var layer = "lora_unet_input_blocks_1_1_transformer_blocks_0_attn2_to_k";
        string Write(string name, Dictionary<string, Tensor> tensors, Dictionary<string, string>? metadata = null)
        {
            var path = Path.Combine(h.DataFolder, name + ".safetensors");
            h2.Write(path, tensors, metadata);
            return path;
        }
        var load = LoadEditedModelCommand.Create(h.Services);
        var shape = (await h.UnetTensors())["down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight"].shape;

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => h.Run(load, new() { ["delta"] = Write("missing", new() { ["lora_unet_input_blocks_99_1_proj.diff"] = zeros(4) }) }));
        Assert.Contains("'lora_unet_input_blocks_99_1_proj' names no layer of this model's U-Net", e.Message);
        e = await Assert.ThrowsAsync<InvalidDataException>(() => h.Run(load, new() { ["delta"] = Write("shape", new() { [layer + ".diff"] = zeros(3, 3) }) }));
        Assert.Contains($"'{layer}.diff' has shape [3, 3]; the model's 'down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight' is [{string.Join(", ", shape)}]", e.Message);
        e = await Assert.ThrowsAsync<InvalidDataException>(() => h.Run(load, new() { ["delta"] = Write("family", new() { [layer + ".diff"] = zeros(shape) }, new() { ["esd_family"] = "sdxl" }) }));
        Assert.Contains("made for a model of family 'sdxl'", e.Message);
        e = await Assert.ThrowsAsync<InvalidDataException>(() => h.Run(load, new() { ["delta"] = Write("base", new() { [layer + ".diff"] = zeros(shape) }, new() { ["esd_base_fingerprint"] = new string('0', 64) }) }));
        Assert.Contains("made for another base model", e.Message);
        e = await Assert.ThrowsAsync<InvalidDataException>(() => h.Run(load, new() { ["delta"] = Write("te", new() { [layer + ".diff"] = zeros(shape), ["lora_te_text_model_encoder_layers_0_mlp_fc1.diff"] = zeros(2) }) }));
        Assert.Contains("text-encoder layers are not applied", e.Message);

        Assert.Equal(before, await h.UnetBytes());
    }
}
