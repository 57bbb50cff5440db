using Newtonsoft.Json.Linq;
using TestUtilities;

namespace SampleHost.Tests.Cli;

/// <summary>The README's main command, shortened: it reports the one-attribute and the mixed prompts apart, with the baselines beside the edit.</summary>
[Collection(HeavyTests.Name)]
public class EraseVerbTests
{
    [Fact]
    public void ReportsBothPromptSetsAndEveryMethodWithTheirPictures()
    {
        using var tmp = new TempFolder();
        // Minutes, not seconds, when other test processes share the cores: pools for the defaults' many prompts, then
        // both prompt sets judged twice.
        var (code, stdout, stderr) = StudioProcess.Run(new Dictionary<string, string> { ["STUDIO_DATA_DIR"] = StudioProcess.FreshDataFolder() }, TimeSpan.FromMinutes(8),
            "erase", "--concepts", "star", "--model", RepoPaths.BundledModel, "--iterations", "2",
            "--pool-size", "2", "--retain-pool-size", "1", "--images-per-prompt", "1", "--out", tmp.Path);
        Assert.True(code == 0, stderr + stdout);

        var report = JObject.Parse(File.ReadAllText(Path.Combine(tmp.Path, "report.json")));
        foreach (var set in new[] { "one-attribute", "mixed" })
        {
            var summary = report["summary"]![set]!;
            Assert.True((bool)summary["shape"]!["concepts"]!["star"]!["erased"]!);
            Assert.False((bool)summary["shape"]!["concepts"]!["circle"]!["erased"]!);
            Assert.NotNull(summary["others"]?["max_drop"]);
            Assert.NotNull(report["before"]![set]!["by_concept"]);
            Assert.NotNull(report["after"]![set]!["by_concept"]);
        }
        // The mixed prompts judge every attribute: the other concepts' figures include colours, styles and backgrounds.
        Assert.Equal(8 + 6 + 4 + 2 - 1, (int)report["summary"]!["mixed"]!["others"]!["concepts"]!);
        foreach (var grid in new[] { "before", "after", "negative-prompt", "sld-medium", "sld-max" })
            foreach (var picture in new[] { grid + ".png", grid + ".mixed.png" })
                Assert.True(File.Exists(Path.Combine(tmp.Path, picture)), picture);

        // Every method beside the edit, on the same prompts and seeds: base, negative prompt, SLD Medium and Max, ESD.
        foreach (var set in new[] { "one-attribute", "mixed" })
        {
            var rows = (JArray)report["comparison"]![set]!;
            Assert.Equal(["base", "negative prompt", "SLD medium", "SLD max", "ESD (this edit)"], rows.Select(r => (string)r["method"]!));
            Assert.All(rows, r => Assert.NotNull(r["erased"]!["star"]));
            Assert.Equal(0.0, (double)rows[0]["others_max_drop"]!);
            Assert.Equal("star", (string?)report["baselines"]!["negative-prompt"]![set]!["negative_prompt"]);
            Assert.Equal("max", (string?)report["baselines"]!["sld-max"]![set]!["safety"]!["preset"]);
        }
        Assert.Contains("SLD medium", stdout);
        Assert.Contains("ESD (this edit)", stdout);
    }

    [Fact]
    public void AnUnknownBaselineIsRefusedBeforeAnyTraining()
    {
        using var tmp = new TempFolder();
        var (code, _, stderr) = StudioProcess.Run(new Dictionary<string, string> { ["STUDIO_DATA_DIR"] = StudioProcess.FreshDataFolder() }, TimeSpan.FromMinutes(2),
            "erase", "--concepts", "star", "--model", RepoPaths.BundledModel, "--baselines", "negative-prompt,sld-hyper", "--out", tmp.Path);
        Assert.Equal(2, code);
        Assert.Contains("--baselines: unknown method 'sld-hyper'", stderr);
        Assert.Contains("sld-medium", stderr);
        Assert.False(File.Exists(Path.Combine(tmp.Path, "report.json")));
    }
}
