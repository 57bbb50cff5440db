using TestUtilities;
using DiffusionEngine.Loading;
using DiffusionEngine.Safetensors;
using DiffusionEngine.Text;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DiffusionEngine.Tests.Text;

public class ClipTextModelTests(ITestOutputHelper output)
{
    private static readonly string Alpha = AlphaFixture.Folder;
    private static readonly string AlphaTextEncoder = Path.Combine(Alpha, "text_encoder");
    private static readonly string Sd15TextConfig = Path.Combine(RepoPaths.Sd15Configs, "text_encoder", "config.json");

    private static ClipTextModel BuildAlpha() => new(ClipTextConfig.Load(Path.Combine(AlphaTextEncoder, "config.json")));


    private static Tensor Run(ClipTextModel model, Tensor ids)
    {
        using var noGrad = no_grad();
        return model.forward(ids);
    }

    [Fact]
    public void ConfigOfSd15LoadsWithItsValues()
    {
        var c = ClipTextConfig.Load(Sd15TextConfig);
        Assert.Equal(new ClipTextConfig(49408, 768, 3072, 12, 12, 77, 1e-5, "quick_gelu", ProjectionDim: 768), c);
        Assert.Equal(64, c.HeadDim);
    }

    [Fact]
    public void ConfigErrorsNameTheField()
    {
        var e = Assert.Throws<InvalidDataException>(() => ClipTextConfig.Parse("{\"hidden_act\": \"swishy\"}", "cfg.json"));
        Assert.Contains("cfg.json", e.Message);
        Assert.Contains("hidden_act", e.Message);
        e = Assert.Throws<InvalidDataException>(() => ClipTextConfig.Parse("{\"hidden_size\": 30, \"num_attention_heads\": 4}", "cfg.json"));
        Assert.Contains("num_attention_heads", e.Message);
        e = Assert.Throws<InvalidDataException>(() => ClipTextConfig.Parse("{\"hidden_size\": \"big\"}", "cfg.json"));
        Assert.Contains("hidden_size", e.Message);
        Assert.Throws<FileNotFoundException>(() => ClipTextConfig.Load(Path.Combine(AlphaTextEncoder, "missing.json")));
    }

    [Fact]
    public void FullClipConfigUsesItsTextConfig()
    {
        var c = ClipTextConfig.Parse("{\"model_type\": \"clip\", \"text_config\": {\"hidden_size\": 64, \"num_attention_heads\": 4, \"hidden_act\": \"gelu\"}, \"vision_config\": {}}", "clip.json");
        Assert.Equal(64, c.HiddenSize);
        Assert.Equal("gelu", c.HiddenAct);
        Assert.Equal(12, c.NumHiddenLayers);
    }

    [Fact]
    public void Sd15TreeHasTheExpectedParameterCount()
    {
        using var model = new ClipTextModel(ClipTextConfig.Load(Sd15TextConfig), device: new Device("meta"));
        long count = model.parameters().Sum(p => p.numel());
        Assert.Equal(123_060_480L, count);
        var names = model.state_dict().Keys.ToHashSet();
        Assert.Contains("text_model.embeddings.token_embedding.weight", names);
        Assert.Contains("text_model.embeddings.position_embedding.weight", names);
        Assert.Contains("text_model.encoder.layers.11.self_attn.out_proj.bias", names);
        Assert.Contains("text_model.encoder.layers.11.mlp.fc2.weight", names);
        Assert.Contains("text_model.final_layer_norm.bias", names);
        Assert.Equal(4 + 12 * 16, names.Count); // 2 embeddings, final norm weight+bias; 16 tensors per layer
    }

    [Fact]
    public void FixtureWeightsMatchNameForName()
    {
        using var model = BuildAlpha();
        using var file = SafetensorsFile.Open(Path.Combine(AlphaTextEncoder, "model.safetensors"));
        var report = WeightLoader.Check("text_encoder", model, file, optional: ClipTextModel.OptionalTensors);
        Assert.True(report.IsClean, report.Describe());
        Assert.Equal(1_597_162L, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void OutputMatchesTransformersLastHiddenState()
    {
        using var model = ClipTextModel.FromFolder(AlphaTextEncoder, out var report);
        Assert.True(report.IsClean, report.Describe());
        using var inputs = SafetensorsFile.Open(Path.Combine(Alpha, "probe", "inputs.safetensors"));
        using var outputs = SafetensorsFile.Open(Path.Combine(Alpha, "probe", "outputs.safetensors"));
        using var ids = inputs.Read("text_input_ids");
        using var expected = outputs.Read("text_encoder.last_hidden_state");
        using var actual = Run(model, ids);
        Assert.Equal(expected.shape, actual.shape);
        double rel = Tolerances.RelativeError(actual, expected);
        using var maxAbs = (actual - expected).abs().max();
        output.WriteLine($"text_encoder.last_hidden_state: relative error {rel:E3}, max |diff| {maxAbs.item<float>():E3}");
        Assert.True(rel <= 1e-4, $"relative error {rel}");
    }

    [Fact]
    public void TokenizerAndModelTogetherReproduceTheFixture()
    {
        var tokenizer = ClipTokenizer.FromFolder(Path.Combine(Alpha, "tokenizer"));
        using var model = ClipTextModel.FromFolder(AlphaTextEncoder, out _);
        using var outputs = SafetensorsFile.Open(Path.Combine(Alpha, "probe", "outputs.safetensors"));
        using var expected = outputs.Read("text_encoder.last_hidden_state");
        using var ids = tokenizer.EncodeBatch(["a photo of a cat", "a painting in the style of van gogh"]);
        using var actual = Run(model, ids);
        Assert.True(Tolerances.RelativeError(actual, expected) <= 1e-4);
    }

    [Fact]
    public void AFileWithPositionIdsLoadsToo()
    {
        using var dir = new TempFolder();
        string original = Path.Combine(AlphaTextEncoder, "model.safetensors");
        string withPositions = Path.Combine(dir.Path, "model.safetensors");
        using (var file = SafetensorsFile.Open(original))
        {
            var tensors = file.Entries.Keys.ToDictionary(k => k, file.Read);
            tensors[ClipTextModel.PositionIdsName] = arange(77L, ScalarType.Int64).unsqueeze(0);
            try { SafetensorsWriter.Write(withPositions, tensors); }
            finally { foreach (var t in tensors.Values) t.Dispose(); }
        }
        using var reference = BuildAlpha();
        using (var file = SafetensorsFile.Open(original)) WeightLoader.Load("text_encoder", reference, file, optional: ClipTextModel.OptionalTensors);
        using var model = BuildAlpha();
        using (var file = SafetensorsFile.Open(withPositions))
        {
            Assert.Contains(ClipTextModel.PositionIdsName, file.Entries.Keys);
            var report = WeightLoader.Load("text_encoder", model, file, optional: ClipTextModel.OptionalTensors);
            Assert.True(report.IsClean, report.Describe());
        }
        using var ids = tensor(new long[] { 49406, 320, 1125, 49407 }, [1, 4], ScalarType.Int64);
        using var a = Run(model, ids);
        using var b = Run(reference, ids);
        Assert.Equal(b.data<float>().ToArray(), a.data<float>().ToArray());
    }

    [Fact]
    public void LaterTokensDoNotChangeEarlierPositions()
    {
        // Causal mask: the first k outputs depend on the first k ids only.
        using var model = ClipTextModel.FromFolder(AlphaTextEncoder, out _);
        using var a = tensor(new long[] { 49406, 320, 1125, 539, 49407, 49407 }, [1, 6], ScalarType.Int64);
        using var b = tensor(new long[] { 49406, 320, 1125, 2368, 4558, 1 }, [1, 6], ScalarType.Int64);
        using var outA = Run(model, a);
        using var outB = Run(model, b);
        using var headA = outA[.., ..3];
        using var headB = outB[.., ..3];
        Assert.True(headA.allclose(headB, rtol: 0, atol: 1e-6));
        using var tailA = outA[.., 3..];
        using var tailB = outB[.., 3..];
        Assert.False(tailA.allclose(tailB, rtol: 0, atol: 1e-3));
    }

    [Fact]
    public void BadInputShapesAreRejected()
    {
        using var model = BuildAlpha();
        using var oneDim = zeros(77, ScalarType.Int64);
        Assert.Throws<ArgumentException>(() => model.forward(oneDim));
        using var tooLong = zeros([1, 78], ScalarType.Int64);
        Assert.Throws<ArgumentException>(() => model.forward(tooLong));
        using var floats = zeros([1, 77]);
        Assert.Throws<ArgumentException>(() => model.forward(floats));
    }

    [Fact]
    public void GeluVariantBuildsAndRuns()
    {
        var config = new ClipTextConfig(VocabSize: 100, HiddenSize: 16, IntermediateSize: 24, NumHiddenLayers: 1,
            NumAttentionHeads: 2, MaxPositionEmbeddings: 77, HiddenAct: "gelu");
        using var model = new ClipTextModel(config);
        using var ids = randint(0, 100, [2, 77], ScalarType.Int64);
        using var result = Run(model, ids);
        Assert.Equal(new long[] { 2, 77, 16 }, result.shape);
    }

    [Fact]
    public void QuickGeluIsXTimesSigmoidOf1702X()
    {
        using var x = tensor(new float[] { -3f, -0.5f, 0f, 0.7f, 2f });
        using var y = ClipActivation.QuickGelu(x);
        var xs = x.data<float>().ToArray();
        var ys = y.data<float>().ToArray();
        for (int i = 0; i < xs.Length; i++)
            Assert.Equal(xs[i] / (1 + Math.Exp(-1.702 * xs[i])), ys[i], 6);
    }
}
