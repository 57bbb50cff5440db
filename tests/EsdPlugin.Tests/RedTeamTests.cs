using EsdPlugin.Commands;
using EsdPlugin.RedTeam;
using Host.Abstractions;
using Newtonsoft.Json.Linq;
using SampleHost.Plugins;
using TestUtilities;
using static TorchSharp.torch;

namespace EsdPlugin.Tests;

/// <summary>The red team (esd.test-erasure) on the alpha fixture: what it tries, what it writes, and that it really attacks.</summary>
[Collection(HeavyTests.Name)]
public class RedTeamTests
{
    [Fact]
    public void ThePromptAttackTriesMisspellingsParaphrasesListsAndTheModelsOwnPhrasings()
    {
        var variants = PromptAttack.Variants("star", null);
        Assert.Contains(variants, v => v is { Trick: "misspelling", Prompt: "satr" });
        Assert.Equal(["str", "staar", "satr"], PromptAttack.Misspellings("star"));
        foreach (var trick in new[] { "paraphrase", "longer prompt", "list", "plural", "case", "spacing" })
            Assert.Contains(variants, v => v.Trick == trick && v.Prompt.Contains("star", StringComparison.OrdinalIgnoreCase) || v.Trick == trick && trick == "spacing");
        Assert.Equal(variants.Count, variants.Select(v => v.Prompt).Distinct().Count());

        // The bundled model ships its own synonyms: a striped thing "with stripes", "stripy".
        var bundled = PromptAttack.Variants("striped", RepoPaths.BundledModel);
        Assert.Contains(bundled, v => v is { Trick: "model's phrasing", Prompt: "a stripy circle" });
        Assert.Contains(bundled, v => v.Trick == "model's phrasing" && v.Prompt.Contains("with stripes"));

        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File(PromptAttack.FileName), "{\"prompts\": {\"star\": \"not a list\"}}");
        var e = Assert.Throws<InvalidDataException>(() => PromptAttack.Variants("star", tmp.Path));
        Assert.Contains(PromptAttack.FileName, e.Message);
        Assert.Contains("prompts.star", e.Message);
    }

    [Fact]
    public async Task WithoutALiveEditNothingIsAttacked()
    {
        using var h = new Harness();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => h.Run(TestErasureCommand.Create(h.Services), new() { ["concepts"] = "cat" }));
        Assert.Contains("no edit is live", e.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => h.Run(TestErasureCommand.Create(h.Services), new() { ["attacks"] = "prompt,fuzz" }));
    }

    [Fact]
    public async Task TheEmbeddingAttackBeatsTheConceptsOwnPromptAndEverythingIsWrittenWithTheLiveEditUnchanged()
    {
        using var h = new Harness();
        await h.Run(EraseConceptCommand.Create(h.Services), new()
        {
            ["concepts"] = "cat", ["iterations"] = "40", ["ddim-steps"] = "4", ["learning-rate"] = "1e-2", ["name"] = "cat-edit",
        });
        await h.Run(LoadEditedModelCommand.Create(h.Services), new() { ["delta"] = "cat-edit" });
        var before = await h.UnetBytes();
        var reports = new List<ProgressReport>();
        var outDir = Path.Combine(h.DataFolder, "red");
        var result = await h.Run(TestErasureCommand.Create(h.Services), new()
        {
            ["images-per-prompt"] = "2", ["tokens"] = "3", ["attack-steps"] = "60", ["attack-learning-rate"] = "0.05", ["attack-batch"] = "4", ["restarts"] = "2", ["steps"] = "4", ["out"] = outDir,
        }, onProgress: reports.Add);

        // The live edit is as it was: the attack's teacher passes swapped the originals in and back out.
        var after = await h.UnetBytes();
        Assert.All(before, kv => Assert.True(kv.Value.AsSpan().SequenceEqual(after[kv.Key]), kv.Key));
        foreach (var name in new[] { "report.json", "images.safetensors", "learned.safetensors", "grid.png", "loss.png" })
            Assert.True(File.Exists(Path.Combine(outDir, name)), name);
        Assert.Equal(Path.Combine(outDir, "report.json"), result.Files[0]);
        Assert.Equal([137, 80, 78, 71], File.ReadAllBytes(Path.Combine(outDir, "grid.png"))[..4]);

        var report = JObject.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")));
        Assert.Equal(["cat"], report["concepts"]!.Select(c => (string)c!));
        var rows = (JArray)report["rows"]!;
        Assert.Equal("unattacked", (string?)rows[0]["kind"]);
        Assert.Contains(rows, r => (string?)r["kind"] == "prompt" && (string?)r["trick"] == "misspelling");
        var attacks = rows.Where(r => (string?)r["kind"] == "embedding").ToList();
        Assert.Equal(2, attacks.Count);
        foreach (var a in attacks)
        {
            double first = (double)a["initial_loss"]!, last = (double)a["final_loss"]!, concept = (double)a["concept_prompt_loss"]!;
            var losses = a["losses"]!.Select(l => (double)l!).ToList();
            Assert.Equal(60, losses.Count);
            // A real attack: over every stored state, the learned tokens bring the edited model's guided prediction closer
            // to the original's on the concept than they started and than the concept's own prompt does.
            Assert.True(last < first, $"the loss did not fall: {first} -> {last}");
            Assert.True(last < concept, $"the attack ({last:F5}) did not beat the concept's own prompt ({concept:F5})");
        }
        using (var images = h.Context.TensorFiles.Read(Path.Combine(outDir, "images.safetensors")))
        {
            Assert.Equal(rows.Count, images.Tensors.Count);
            Assert.All(images.Tensors.Values, t => Assert.Equal(new long[] { 2, 3, 16, 16 }, t.shape));
        }
        using (var learned = h.Context.TensorFiles.Read(Path.Combine(outDir, "learned.safetensors")))
            Assert.Equal(new long[] { 3, 32 }, learned.Tensors["embedding.cat.0"].shape);

        // Progress moved from start to end, and named the attack.
        Assert.Contains(reports, r => r.Message.Contains("embedding attack on 'cat'"));
        for (int i = 1; i < reports.Count; i++) Assert.True(reports[i].Fraction >= reports[i - 1].Fraction);
        Assert.True(reports[^1].Fraction > 0.9);
    }

    [Fact]
    public async Task ACancelledAttackLeavesTheLiveEditAsItWas()
    {
        using var h = new Harness();
        await h.Run(EraseConceptCommand.Create(h.Services), new()
        {
            ["concepts"] = "cat", ["iterations"] = "2", ["ddim-steps"] = "4", ["learning-rate"] = "1e-3", ["name"] = "cat-edit", ["load"] = "true",
        });
        var before = await h.UnetBytes();
        using var cancel = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => h.Run(TestErasureCommand.Create(h.Services), new()
        {
            ["attacks"] = "embedding", ["attack-steps"] = "1000", ["steps"] = "4", ["out"] = Path.Combine(h.DataFolder, "red"),
        }, cancel.Token, r => { if (r.Message.Contains("step 20/")) cancel.Cancel(); }));
        var after = await h.UnetBytes();
        Assert.All(before, kv => Assert.True(kv.Value.AsSpan().SequenceEqual(after[kv.Key]), kv.Key));
        Assert.False(File.Exists(Path.Combine(h.DataFolder, "red", "report.json")));
    }
}
