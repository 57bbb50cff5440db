using Newtonsoft.Json.Linq;
using TestUtilities;

namespace SampleHost.Tests.Cli;

/// <summary>studio attack: an edit of the bundled model attacked by the plugin's red team and judged by the model's classifier.</summary>
[Collection(HeavyTests.Name)]
public class AttackVerbTests
{
    [Fact]
    public void AnEditIsAttackedBothWaysAndEveryRowIsJudged()
    {
        using var tmp = new TempFolder();
        var env = new Dictionary<string, string> { ["STUDIO_DATA_DIR"] = StudioProcess.FreshDataFolder() };
        var (code, stdout, stderr) = StudioProcess.Run(env, TimeSpan.FromMinutes(8), "run", "esd.erase-concept", "--model", RepoPaths.BundledModel,
            "--concepts", "striped", "--method", "esd-x", "--iterations", "2", "--pool-size", "2", "--retain-pool-size", "1", "--name", "stripes");
        Assert.True(code == 0, stderr + stdout);

        (code, stdout, stderr) = StudioProcess.Run(env, TimeSpan.FromMinutes(8), "attack", "--delta", "stripes", "--model", RepoPaths.BundledModel,
            "--images-per-prompt", "2", "--attack-steps", "5", "--restarts", "1", "--steps", "5", "--out", tmp.Path);
        Assert.True(code == 0, stderr + stdout);
        foreach (var file in new[] { "report.json", "images.safetensors", "learned.safetensors", "grid.png", "loss.png" })
            Assert.True(File.Exists(Path.Combine(tmp.Path, file)), file);

        var report = JObject.Parse(File.ReadAllText(Path.Combine(tmp.Path, "report.json")));
        var summary = report["judged"]!["summary"]!["striped"]!;
        foreach (var kind in new[] { "unattacked", "prompt", "embedding" })
        {
            var rate = (double?)summary[kind]!["success_rate"];
            Assert.NotNull(rate);
            Assert.InRange(rate!.Value, 0, 1);
        }
        // The bundled model's own phrasings are among the prompts tried, and every row was judged.
        var rows = (JArray)report["judged"]!["rows"]!;
        Assert.Contains(rows, r => (string?)r["trick"] == "model's phrasing" && ((string?)r["prompt"])!.Contains("stripes"));
        Assert.Equal(((JArray)report["rows"]!).Count, rows.Count);
        Assert.All(rows, r => Assert.InRange((int)r["shown"]!, 0, (int)r["judged"]!));
        Assert.True(rows.Sum(r => (int)r["judged"]!) > rows.Count, "hardly any image was judged");
        Assert.Contains("success_rate", stdout);
    }
}
