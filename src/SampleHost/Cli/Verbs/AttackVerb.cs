using DiffusionEngine.IO;
using DiffusionEngine.Safetensors;
using Host.Abstractions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using SampleHost.Hosting;
using ShapesWorld;
using ShapesWorld.Classifier;
using ShapesWorld.Evaluation;

namespace SampleHost.Cli.Verbs;

/// <summary>
/// The red team from the command line: loads an edit, runs the plugin's <c>esd.test-erasure</c> on it, and, where the
/// model ships a world classifier (the bundled model), judges every image it drew: the attack success rate, the share
/// of the attacks' images that show the erased concept, beside the plain prompt's rate. Only command ids are used.
/// </summary>
internal static class AttackVerb
{
    public static Verb Create(StudioHost host) => new()
    {
        Name = "attack",
        Description = "Attack an ESD edit (prompt variants; learned prompt tokens) and report how often the erased concept comes back, judged by the model's classifier.",
        Options =
        [
            new OptionSpec("delta", "the edit to attack: a delta name, stamp or file", Required: true),
            new OptionSpec("model", "model folder", "models/tiny-shapes"),
            new OptionSpec("concepts", "concept(s) to attack (default: the edit's)"),
            new OptionSpec("attacks", "prompt, embedding, or both", "prompt,embedding"),
            new OptionSpec("images-per-prompt", "K images per prompt and per learned embedding", "20"),
            new OptionSpec("tokens", "embedding attack: learned tokens (default: the plugin's)"),
            new OptionSpec("attack-steps", "embedding attack: Adam steps per start (default: the plugin's)"),
            new OptionSpec("attack-learning-rate", "embedding attack: learning rate (default: the plugin's)"),
            new OptionSpec("restarts", "embedding attack: random starts (default: the plugin's)"),
            new OptionSpec("attack-prompt", "embedding attack: prompt after the learned tokens, {} for the concept (default: the plugin's)"),
            new OptionSpec("steps", "DDIM steps of the attack's trajectories and the images (default: the plugin's)"),
            new OptionSpec("seed", "seed", "0"),
            new OptionSpec("out", "folder for the report and pictures", "attack-report"),
            new OptionSpec("device", "cpu, cuda, cuda:N or auto"),
            new OptionSpec("dtype", "float32, float16 or bfloat16", "float32"),
        ],
        Handler = (args, cancel) => RunAsync(host, args, cancel),
    };

    private static async Task<int> RunAsync(StudioHost host, ParsedArgs args, CancellationToken cancel)
    {
        HostSelection.Apply(host, args);
        var folder = host.ModelCache.ActiveModelFolder!;
        var outDir = Path.GetFullPath(args.Require("out"));
        Directory.CreateDirectory(outDir);
        var test = new Dictionary<string, string>
        {
            ["attacks"] = args.Require("attacks"), ["images-per-prompt"] = args.Require("images-per-prompt"), ["seed"] = args.Require("seed"), ["out"] = outDir,
        };
        foreach (var passed in new[] { "concepts", "tokens", "attack-steps", "attack-learning-rate", "restarts", "attack-prompt", "steps" })
            if (args.Get(passed) is { } value) test[passed] = value;

        await EraseVerb.Run(host, "esd.load-edited-model", new() { ["delta"] = args.Require("delta") }, cancel);
        CommandResult result;
        try { result = await EraseVerb.Run(host, "esd.test-erasure", test, cancel); }
        finally { await EraseVerb.Run(host, "esd.restore-original", [], cancel); }
        Console.WriteLine(result.Message);

        var classifierDir = Path.Combine(folder, ClassifierFiles.FolderName);
        if (!Directory.Exists(classifierDir))
        {
            Console.WriteLine($"{folder} has no world classifier ({ClassifierFiles.FolderName}/): see the grid and loss curves in {outDir}; nothing is judged");
            return 0;
        }
        var report = JObject.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")));
        var judged = Judge(report, Path.Combine(outDir, "images.safetensors"), classifierDir);
        report["judged"] = judged;
        AtomicFile.WriteAllText(Path.Combine(outDir, "report.json"), report.ToString(Formatting.Indented));
        Console.WriteLine(judged["summary"]!.ToString(Formatting.Indented));
        Console.WriteLine($"wrote {Path.Combine(outDir, "report.json")}, grid.png{(File.Exists(Path.Combine(outDir, "loss.png")) ? ", loss.png" : "")}");
        return 0;
    }

    /// <summary>
    /// Per row, the share of its judged images showing the row's concept; per concept and attack, the attack success
    /// rate (over all its images), its best prompt or start, and the unattacked rate.
    /// </summary>
    public static JObject Judge(JObject report, string imagesPath, string classifierDir)
    {
        var (classifier, _) = ClassifierFiles.Load(classifierDir);
        using var __ = classifier;
        using var file = SafetensorsFile.Open(imagesPath);
        var rows = new JArray();
        var byAttack = new Dictionary<(string Concept, string Kind), List<(string Prompt, int Shown, int Judged)>>();
        foreach (var row in (JArray)report["rows"]!)
        {
            string concept = (string)row["concept"]!, kind = (string)row["kind"]!;
            var attribute = WorldInventory.AttributeOf(concept);
            using var images = file.Read((string)row["images"]!);
            var degenerate = WorldEvaluator.Degenerate(images);
            var predictions = classifier.Predict(images).Where((_, i) => !degenerate[i]).ToList();
            int shown = attribute is null ? 0 : predictions.Count(p => p[attribute] == concept);
            rows.Add(new JObject
            {
                ["kind"] = kind, ["concept"] = concept, ["prompt"] = row["prompt"], ["trick"] = row["trick"], ["restart"] = row["restart"],
                ["judged"] = predictions.Count, ["shown"] = shown, ["rate"] = predictions.Count == 0 ? null : Math.Round((double)shown / predictions.Count, 4),
            });
            var key = (concept, kind);
            if (!byAttack.TryGetValue(key, out var list)) byAttack[key] = list = [];
            list.Add(((string)row["prompt"]! + (row["restart"] is JValue { Type: JTokenType.Integer } r ? $" (start {(int)r + 1})" : ""), shown, predictions.Count));
        }
        var summary = new JObject();
        foreach (var concept in byAttack.Keys.Select(k => k.Concept).Distinct())
        {
            var entry = new JObject();
            foreach (var ((c, kind), list) in byAttack.Where(kv => kv.Key.Concept == concept))
            {
                int judgedImages = list.Sum(x => x.Judged);
                var best = list.Where(x => x.Judged > 0).MaxBy(x => (double)x.Shown / x.Judged);
                entry[kind] = new JObject
                {
                    ["success_rate"] = judgedImages == 0 ? null : Math.Round((double)list.Sum(x => x.Shown) / judgedImages, 4),
                    ["best"] = best.Prompt, ["best_rate"] = best.Judged == 0 ? null : Math.Round((double)best.Shown / best.Judged, 4),
                    ["prompts"] = list.Count, ["images"] = judgedImages,
                };
            }
            summary[concept] = entry;
        }
        return new JObject { ["summary"] = summary, ["rows"] = rows };
    }
}
