using System.Globalization;
using Host.Abstractions;
using SampleHost.LoadedModels;
using SampleHost.Plugins;
using ShapesWorld;
using ShapesWorld.Evaluation;
using static TorchSharp.torch;

namespace EsdBench;

/// <summary>
/// Per-concept edits composed (each at strength 1, differences summed) against one jointly trained delta, on the bundled
/// model's shipped prompts (every attribute file), in one process: each concept's rate, and how far the others fall.
/// </summary>
internal static class CompositionFigures
{
    public static int Run(Dictionary<string, string> options)
    {
        var parts = (options.GetValueOrDefault("parts") ?? throw new ArgumentException("--parts a.safetensors,b.safetensors is required")).Split(',');
        var joint = options.GetValueOrDefault("joint");
        var erased = (options.GetValueOrDefault("erased") ?? "star,striped").Split(',');
        using var judge = BundledJudge.Open(options);
        var (model, files) = (judge.Model, judge.PromptFiles);
        var io = SafetensorsFiles.Instance;

        Dictionary<string, double> Rates(string label)
        {
            var rates = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var file in files)
                foreach (var (_, values) in judge.Rates(PromptFile.Read(file), label))
                    foreach (var (concept, rate) in values) rates[concept] = rate;
            return rates;
        }

        var runs = new List<(string Label, Dictionary<string, double> Rates)> { ("base", Rates("base")) };
        var contents = parts.Select(io.Read).ToList();
        try
        {
            model.Patches.Apply(contents.Select(c => new PatchPart(c.Tensors)).ToList(), "composition");
            runs.Add(("composition " + string.Join(" + ", parts.Select(Path.GetFileNameWithoutExtension)), Rates("composition")));
            model.Patches.Restore();
        }
        finally
        {
            foreach (var c in contents) c.Dispose();
        }
        if (joint is not null)
        {
            using var j = io.Read(joint);
            model.Patches.Apply(j.Tensors, "joint");
            runs.Add(("joint " + Path.GetFileNameWithoutExtension(joint), Rates("joint")));
            model.Patches.Restore();
        }

        Console.WriteLine($"model {judge.Folder}; prompts {string.Join(", ", files.Select(Path.GetFileName))}; K = {judge.ImagesPerPrompt}, seed 0, 25 steps, guidance 7.5");
        var baseRates = runs[0].Rates;
        foreach (var (label, rates) in runs)
        {
            var drops = rates.Where(kv => !erased.Contains(kv.Key)).Select(kv => (kv.Key, Drop: baseRates[kv.Key] - kv.Value)).ToList();
            var worst = drops.MaxBy(d => d.Drop);
            Console.WriteLine($"{label}: " + string.Join(", ", erased.Select(c => $"{c} {rates.GetValueOrDefault(c):P0}")) +
                $"; others' mean drop {drops.Average(d => d.Drop) * 100:0.0} pt, worst {worst.Key} {worst.Drop * 100:0} pt");
            Console.WriteLine("  " + string.Join("  ", rates.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value:P0}")));
        }
        return 0;
    }
}
