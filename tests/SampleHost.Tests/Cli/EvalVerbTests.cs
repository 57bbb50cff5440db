using Newtonsoft.Json.Linq;
using TestUtilities;

namespace SampleHost.Tests.Cli;

[Collection(HeavyTests.Name)]
public class EvalVerbTests
{
    /// <summary>Every name in the JSON tree, with its path (field names only, not dictionary keys of concepts).</summary>
    private static IEnumerable<(string Path, string Name)> Fields(JToken token, string path = "")
    {
        if (token is JObject o)
            foreach (var p in o.Properties())
            {
                yield return (path, p.Name);
                foreach (var inner in Fields(p.Value, $"{path}/{p.Name}")) yield return inner;
            }
        else if (token is JArray a)
            foreach (var item in a)
                foreach (var inner in Fields(item, path + "[]")) yield return inner;
    }

    [Fact]
    public void TheBaselinesSampleDifferentlyAndAreRecordedInTheReport()
    {
        using var tmp = new TempFolder();
        var prompts = tmp.File("one.jsonl");
        File.WriteAllText(prompts, "{\"prompt\": \"a star\", \"expect\": {\"shape\": \"star\"}}\n");
        string[] common = ["eval", "--model", RepoPaths.BundledModel, "--prompts", prompts, "--images-per-prompt", "2", "--steps", "4"];
        JObject Run(string name, params string[] extra)
        {
            var outPath = tmp.File(name + ".json");
            var (code, stdout, stderr) = StudioProcess.Run([.. common, .. extra, "--out", outPath, "--sheet", tmp.File(name + ".png")]);
            Assert.True(code == 0, stderr + stdout);
            return JObject.Parse(File.ReadAllText(outPath));
        }
        var plain = Run("plain");
        var negative = Run("negative", "--negative-prompt", "star");
        var sld = Run("sld", "--sld", "star", "--sld-preset", "max");
        Assert.Equal(JTokenType.Null, plain["safety"]!.Type);
        Assert.Equal("star", (string?)negative["negative_prompt"]);
        Assert.Equal("star", (string?)sld["safety"]!["concept"]);
        Assert.Equal(5000.0, (double)sld["safety"]!["guidance_scale"]!);
        // Each method changes the images (the grids differ), not only the parameters.
        var sheets = new[] { "plain", "negative", "sld" }.Select(n => File.ReadAllBytes(tmp.File(n + ".png"))).ToList();
        Assert.False(sheets[0].AsSpan().SequenceEqual(sheets[1]));
        Assert.False(sheets[0].AsSpan().SequenceEqual(sheets[2]));
    }

    [Fact]
    public void TheReportHoldsEachFigureOnce()
    {
        using var tmp = new TempFolder();
        var prompts = tmp.File("one.jsonl");
        File.WriteAllText(prompts, "{\"prompt\": \"a star\", \"expect\": {\"shape\": \"star\"}}\n");
        var outPath = tmp.File("report.json");
        var (code, stdout, stderr) = StudioProcess.Run("eval", "--model", RepoPaths.BundledModel, "--prompts", prompts,
            "--images-per-prompt", "2", "--steps", "2", "--out", outPath);
        Assert.True(code == 0, stderr + stdout);

        var report = JObject.Parse(File.ReadAllText(outPath));
        Assert.Equal(2, (int)report["images_per_prompt"]!);
        Assert.NotNull(report["total"]?["shape"]);
        Assert.NotNull(report["by_concept"]?["shape"]?["star"]);
        Assert.Equal("a star", (string)report["prompts"]![0]!["prompt"]!);
        // No field twice under two spellings (Total and total, ByConcept and by_concept).
        var duplicates = Fields(report).GroupBy(f => (f.Path, Key: f.Name.Replace("_", "").ToLowerInvariant()))
            .Where(g => g.Select(f => f.Name).Distinct().Count() > 1).Select(g => string.Join("/", g.Select(f => f.Name).Distinct())).ToList();
        Assert.Empty(duplicates);
    }

    [Fact]
    public void WithoutPromptsItJudgesTheModelsPromptsAsTwoSets()
    {
        using var tmp = new TempFolder();
        var outPath = tmp.File("report.json");
        var (code, stdout, stderr) = StudioProcess.Run("eval", "--model", RepoPaths.BundledModel, "--images-per-prompt", "1", "--steps", "2", "--out", outPath);
        Assert.True(code == 0, stderr + stdout);
        var report = JObject.Parse(File.ReadAllText(outPath));
        Assert.Equal(["one-attribute", "mixed"], report.Properties().Select(p => p.Name));
        Assert.NotNull(report["mixed"]?["by_concept"]?["background"]?["black"]);
        Assert.Contains("== mixed prompts (", stdout);
    }
}
