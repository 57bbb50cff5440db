using EsdPlugin.Commands;
using EsdPlugin.Deltas;
using EsdPlugin.Training;

namespace EsdPlugin.Tests;

/// <summary>Per-model defaults (esd_defaults.json) and concept prompt templates.</summary>
public class DefaultsTests
{
    /// <summary>A temporary model folder whose esd_defaults.json is <paramref name="json"/>.</summary>
    internal static string FolderWith(string json)
    {
        var folder = Directory.CreateTempSubdirectory("esd-defaults-").FullName;
        File.WriteAllText(Path.Combine(folder, EsdDefaults.FileName), json);
        return folder;
    }

    [Fact]
    public void WithoutAFileTheDefaultsAreThePapers()
    {
        var s = EsdDefaults.For(Directory.CreateTempSubdirectory("esd-defaults-").FullName, ["cat"]);
        Assert.Equal((EsdMethod.EsdX, 1000, 1e-5, 1.0, 3.0, 50, XtSource.Trained, TimestepPairing.Paper), (s.Method, s.Iterations, s.LearningRate, s.Eta, s.StartGuidance, s.DdimSteps, s.XtFrom, s.Pairing));
        Assert.Equal(["{}"], s.PromptTemplates);
    }

    [Fact]
    public void TheBundledModelsFileIsReadWhole()
    {
        var s = EsdDefaults.For(Path.Combine(Paths.Root, "models", "tiny-shapes"), ["star"]);
        Assert.Equal(EsdMethod.EsdU, s.Method);
        Assert.Equal(TimestepPairing.Matched, s.Pairing);
        Assert.All(s.PromptTemplates, t => Assert.Contains("{}", t));
        // The world's 18 words but the erased one, and the 24 kept sentences but the 3 that name a star.
        Assert.Equal(17 + 21, s.Preserve.Count);
        Assert.DoesNotContain(s.Preserve, p => p.Split(' ', ',').Contains("star"));
        Assert.Equal("shape", s.Anchor);
        // x_t from a pool of the trained model re-sampled every 50 iterations; the retain term from a frozen pool.
        Assert.Equal((XtSource.Trained, 50, 16, 3), (s.XtFrom, s.XtRefresh, s.PoolSize, s.RetainPoolSize));
        var x = EsdDefaults.For(Path.Combine(Paths.Root, "models", "tiny-shapes"), ["striped"], EsdMethod.EsdX);
        Assert.Equal((XtSource.Frozen, 32, 2400, 2), (x.XtFrom, x.PoolSize, x.Iterations, x.BatchSize));
        Assert.Equal("", x.Anchor); // a style has no noun to stand in for it: its word is dropped
        Assert.All(x.PromptTemplates, t => Assert.Contains("{}", t));
    }

    [Fact]
    public void DefaultIterationsArePerConcept()
    {
        var folder = FolderWith("""{"method": "esd-u", "iterations": 300, "per_method": {"esd-x": {"iterations": 1500}}}""");
        Assert.Equal(300, EsdDefaults.For(folder, ["star"]).Iterations);
        Assert.Equal(600, EsdDefaults.For(folder, ["star", "striped"]).Iterations);
        Assert.Equal(3000, EsdDefaults.For(folder, ["star", "striped"], EsdMethod.EsdX).Iterations);
        Assert.Equal(3000, EsdDefaults.For(Directory.CreateTempSubdirectory("esd-defaults-").FullName, ["cat", "dog", "car"]).Iterations);
    }

    [Theory]
    [InlineData("""{"anchor": 3}""", "'anchor' must be a word")]
    [InlineData("""{"prompt_templates": ["a cat"]}""", "must contain {} exactly once")]
    [InlineData("""{"prompt_templates": ["{} {}"]}""", "must contain {} exactly once")]
    [InlineData("""{"prompt_templates": []}""", "at least one")]
    [InlineData("""{"prompt_templates": "a {}"}""", "list of strings")]
    [InlineData("""{"prompt_templates": [3]}""", "list of strings")]
    [InlineData("""{"timestep_mapping": "late"}""", "timestep_mapping")]
    [InlineData("""{"iterations": "many"}""", "'iterations'")]
    [InlineData("""[1, 2]""", "not a JSON object")]
    public void ABadFileIsRefusedNamingTheFileAndField(string json, string expected)
    {
        var folder = FolderWith(json);
        var e = Assert.Throws<InvalidDataException>(() => EsdDefaults.For(folder, ["cat"]));
        Assert.Contains(Path.Combine(folder, EsdDefaults.FileName), e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void PerMethodFieldsApplyOnlyToTheirMethod()
    {
        var folder = FolderWith("""{"method": "esd-u", "learning_rate": 1e-4, "eta": 2.0, "per_method": {"esd-x": {"learning_rate": 3e-4}}}""");
        var u = EsdDefaults.For(folder, ["star"]);
        Assert.Equal((EsdMethod.EsdU, 1e-4, 2.0), (u.Method, u.LearningRate, u.Eta));
        var x = EsdDefaults.For(folder, ["star"], EsdMethod.EsdX);
        Assert.Equal((EsdMethod.EsdX, 3e-4, 2.0), (x.Method, x.LearningRate, x.Eta));
        var all = EsdDefaults.For(folder, ["star"], EsdMethod.EsdAll);
        Assert.Equal((EsdMethod.EsdAll, 1e-4), (all.Method, all.LearningRate));
    }

    [Theory]
    [InlineData("""{"per_method": {"esd-z": {}}}""", "unknown method 'esd-z'")]
    [InlineData("""{"per_method": {"esd-u": {"method": "esd-x"}}}""", "per_method.esd-u")]
    [InlineData("""{"per_method": {"esd-u": {"eta": "strong"}}}""", "'per_method.esd-u.eta'")]
    [InlineData("""{"per_method": [1]}""", "'per_method'")]
    public void ABadPerMethodBlockIsRefused(string json, string expected)
    {
        var folder = FolderWith(json);
        var e = Assert.Throws<InvalidDataException>(() => EsdDefaults.For(folder, ["cat"], EsdMethod.EsdU));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void TemplatesFillInTheConcept()
    {
        Assert.Equal(["a red star", "star"], ConceptPrompts.For("star", ["a red {}", "{}"]));
        var s = EsdDefaults.For(FolderWith("""{"prompt_templates": ["a {}", "a {} shape"]}"""), ["star"]);
        Assert.Equal(["a {}", "a {} shape"], s.PromptTemplates);
    }

    [Fact]
    public async Task TemplatesChangeWhatIsTrainedAndAreRecordedInTheDelta()
    {
        using var h = new Harness();
        Dictionary<string, string> Args(string? templates, string name)
        {
            var a = new Dictionary<string, string> { ["concepts"] = "cat", ["iterations"] = "2", ["ddim-steps"] = "3", ["learning-rate"] = "1e-3", ["seed"] = "2", ["name"] = name };
            if (templates is not null) a["prompt-templates"] = templates;
            return a;
        }
        var bare = (await h.Run(EraseConceptCommand.Create(h.Services), Args(null, "bare"))).Files.Single();
        var explicitBare = (await h.Run(EraseConceptCommand.Create(h.Services), Args("{}", "explicit"))).Files.Single();
        var sentence = (await h.Run(EraseConceptCommand.Create(h.Services), Args("a photo of a {}", "sentence"))).Files.Single();

        Assert.Equal("""["a photo of a {}"]""", DeltaFile.Inspect(h.Context.TensorFiles, sentence).Metadata["prompt_templates"]);
        using var b = h.Context.TensorFiles.Read(bare);
        using var e = h.Context.TensorFiles.Read(explicitBare);
        using var s = h.Context.TensorFiles.Read(sentence);
        Assert.All(b.Tensors, kv => Assert.True(kv.Value.equal(e.Tensors[kv.Key]).all().item<bool>(), kv.Key));
        Assert.Contains(b.Tensors, kv => !kv.Value.equal(s.Tensors[kv.Key]).all().item<bool>());
    }

    [Fact]
    public async Task SeveralSamplesPerIterationTrainAndAreRecorded()
    {
        using var h = new Harness();
        var before = await h.UnetBytes();
        Dictionary<string, string> Args(string batch) => new()
        {
            ["concepts"] = "cat", ["iterations"] = "2", ["ddim-steps"] = "3", ["learning-rate"] = "1e-3", ["seed"] = "2", ["batch-size"] = batch, ["name"] = "b" + batch,
        };
        var one = (await h.Run(EraseConceptCommand.Create(h.Services), Args("1"))).Files.Single();
        var three = (await h.Run(EraseConceptCommand.Create(h.Services), Args("3"))).Files.Single();
        Assert.Equal(before, await h.UnetBytes());
        Assert.Equal("3", DeltaFile.Inspect(h.Context.TensorFiles, three).Metadata["batch_size"]);
        using var a = h.Context.TensorFiles.Read(one);
        using var b = h.Context.TensorFiles.Read(three);
        Assert.Equal(a.Tensors.Keys.Order(), b.Tensors.Keys.Order());
        Assert.Contains(a.Tensors, kv => !kv.Value.equal(b.Tensors[kv.Key]).all().item<bool>());
    }

    [Fact]
    public async Task ATemplateWithoutThePlaceholderIsRefused()
    {
        using var h = new Harness();
        var e = await Assert.ThrowsAnyAsync<Exception>(() => h.Run(EraseConceptCommand.Create(h.Services),
            new() { ["concepts"] = "cat", ["iterations"] = "1", ["prompt-templates"] = "a photo" }));
        Assert.Contains("must contain {} exactly once", e.ToString());
    }
}
