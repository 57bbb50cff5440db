using TestUtilities;
using EsdPlugin.Commands;
using Host.Abstractions;
using SampleHost.LoadedModels;
using ShapesWorld;
using ShapesWorld.Evaluation;

namespace EsdPlugin.Tests;

/// <summary>
/// ESD on the bundled model with its shipped defaults, judged by its classifier with its shipped prompts (the issue's
/// K = 20 on the shape prompts; the mixed prompts' and the other attributes' figures are in the model's README and come
/// from `studio erase`). The floor, below what the run gives on the machine that tuned it (world v2, seed 0: stars
/// 100% -> 0%, the other shapes 2 points lower on average, worst 10): the base draws stars in at least half the images,
/// the edit in at most 20%, the other shapes lose at most 10 points on average and none more than 25.
/// </summary>
[Collection(HeavyTests.Name)]
public class BundledEraseTests
{
    private static string Model => Path.Combine(Paths.Root, "models", "tiny-shapes");

    private static async Task<EvalReport> Evaluate(Harness h, string promptsFile, int k)
    {
        var prompts = PromptFile.Read(Path.Combine(Model, "prompts", promptsFile));
        using var lease = await h.Cache.AcquireAsync(LeaseMode.Shared);
        return WorldEvaluator.Evaluate(((StudioModel)lease.Model).Engine, null, prompts, new WorldEvaluator.Settings(ImagesPerPrompt: k, Seed: 0), null, null);
    }

    [Fact]
    public async Task EsdUOnStarErasesStarsAndKeepsTheOtherShapes()
    {
        using var h = new Harness(Model);
        var before = await Evaluate(h, "shapes.jsonl", 20);
        await h.Run(EraseConceptCommand.Create(h.Services), new() { ["concepts"] = "star", ["method"] = "esd-u", ["load"] = "true" });
        var after = await Evaluate(h, "shapes.jsonl", 20);

        var b = before.ByConcept["shape"];
        var a = after.ByConcept["shape"];
        // A precondition with a margin: the base draws stars in all 20 of these images, so "at least half" cannot
        // fail by one image's luck, and still rules out a model that does not draw stars at all.
        Assert.True(b["star"] >= 0.5, $"the base model should draw stars: {b["star"]:P0}");
        Assert.True(a["star"] <= 0.2, $"stars after erasure: {a["star"]:P0} (before {b["star"]:P0})");
        var others = b.Keys.Where(k => k != "star").ToList();
        var meanDrop = others.Average(k => b[k] - a[k]);
        Assert.True(meanDrop <= 0.10, $"other shapes lost {meanDrop:P0} on average");
        var worst = others.MaxBy(k => b[k] - a[k])!;
        Assert.True(b[worst] - a[worst] <= 0.25, $"{worst} lost {b[worst] - a[worst]:P0}");
    }
}
