using DiffusionEngine.IO;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using SampleHost.Cli;
using DiffusionEngine.Safetensors;
using DiffusionEngine.StableDiffusion;
using SampleHost.LoadedModels;
using SampleHost.Patches;
using SampleHost.Plugins;
using SampleHost.Hosting;
using ShapesWorld;
using ShapesWorld.Classifier;
using ShapesWorld.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace SampleHost.Cli.Verbs;

internal static class EvalVerb
{
    public static Verb Create() => new()
    {
        Name = "eval",
        Description = "Generate K images per prompt of a prompts file and judge them with the model's world classifier: how often the expected shape, colour and style are drawn.",
        Options =
        [
            new OptionSpec("model", "model folder (with a classifier/ subfolder)", Required: true),
            new OptionSpec("prompts", "JSON Lines: {\"prompt\": ..., \"expect\": {\"shape\"|\"color\"|\"style\"|\"background\": ...}} (default: every file in <model>/prompts/, " +
                                      "reported as two sets: one-attribute and mixed prompts)"),
            new OptionSpec("images-per-prompt", "K images per prompt", "20"),
            new OptionSpec("seed", "seed of the first image", "0"),
            new OptionSpec("steps", "DDIM steps", "25"),
            new OptionSpec("guidance", "classifier-free guidance scale", "7.5"),
            new OptionSpec("delta", "U-Net tensors to swap in before generating (an ESD delta or any safetensors of U-Net tensors by name); several, comma-separated, are composed"),
            new OptionSpec("classifier", "classifier folder (default: <model>/classifier)"),
            new OptionSpec("out", "write the report as JSON here"),
            new OptionSpec("sheet", "write a labelled grid of the images here (PNG)"),
            new OptionSpec("negative-prompt", "sample with this negative prompt (the paper's SD-Neg-Prompt baseline; default: none)"),
            new OptionSpec("device", "cpu, cuda, cuda:N or auto"),
            .. SafetyGuidanceOptions.Options,
        ],
        Handler = (args, cancel) =>
        {
            var settings = new WorldEvaluator.Settings(args.Int("images-per-prompt", 1, 10000), args.Long("seed"), args.Int("steps", 1, 1000), args.Double("guidance"),
                args.Get("negative-prompt"), SafetyGuidanceOptions.Parse(args));
            var modelDir = args.Require("model");
            if (args.Get("prompts") is { } file)
            {
                var report = Evaluate(modelDir, args.Get("classifier"), PromptFile.Read(file), settings, args.Get("delta"), args.Device(), args.Get("sheet"), cancel);
                if (args.Get("out") is { } outPath) WriteJson(outPath, report);
                Print(report);
                return Task.FromResult(0);
            }
            var sets = PromptSets.Split(PromptSets.ReadFolder(modelDir));
            if (sets.Count == 0) throw new UsageException($"{Path.Combine(modelDir, "prompts")}: no prompts (*.jsonl) to judge with; pass --prompts");
            var reports = new JObject();
            // One model load (and delta swap) for every set.
            using var model = StableDiffusionModel.Load(modelDir, args.Device(), ScalarType.Float32);
            using var patches = new WeightPatcher(model.Unet);
            ApplyDeltas(patches, args.Get("delta"));
            foreach (var (name, prompts) in sets)
            {
                Console.WriteLine($"== {name} prompts ({prompts.Count}) ==");
                var report = Evaluate(model, args.Get("classifier"), prompts, settings, args.Get("delta"), SheetFor(args.Get("sheet"), name), cancel);
                Print(report);
                reports[name] = report.ToJson();
            }
            if (args.Get("out") is { } setsPath) AtomicFile.WriteAllText(setsPath, reports.ToString(Formatting.Indented));
            return Task.FromResult(0);
        },
    };

    public static EvalReport Evaluate(string modelDir, string? classifierDir, IReadOnlyList<EvalPrompt> prompts, WorldEvaluator.Settings settings,
        string? delta, Device device, string? sheet, CancellationToken cancel)
    {
        using var model = StableDiffusionModel.Load(modelDir, device, ScalarType.Float32);
        using var patches = new WeightPatcher(model.Unet);
        ApplyDeltas(patches, delta);
        return Evaluate(model, classifierDir, prompts, settings, delta, sheet, cancel);
    }

    private static void ApplyDeltas(WeightPatcher patches, string? delta)
    {
        if (delta is not null)
        {
            // Several deltas are composed as a project's safe checkpoint is: each at strength 1, their changes summed.
            var files = delta.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var contents = files.Select(SafetensorsFiles.Instance.Read).ToList();
            try { patches.Apply(contents.Select(c => new Host.Abstractions.PatchPart(c.Tensors)).ToList(), string.Join("+", files.Select(Path.GetFileName))); }
            finally { foreach (var c in contents) c.Dispose(); }
        }
    }

    /// <summary>Evaluates a loaded model as it is (with whatever weights are live), reporting progress on stderr.</summary>
    public static EvalReport Evaluate(StableDiffusionModel model, string? classifierDir, IReadOnlyList<EvalPrompt> prompts, WorldEvaluator.Settings settings,
        string? delta, string? sheet, CancellationToken cancel) =>
        WorldEvaluator.Evaluate(model, classifierDir, prompts, settings, delta, sheet,
            (done, total) => Console.Error.WriteLine($"eval: prompt {done}/{total}"), cancel);

    /// <summary>"sheet.png" for the first set, "sheet.mixed.png" for the mixed one.</summary>
    public static string? SheetFor(string? sheet, string set) =>
        sheet is null || set == PromptSets.OneAttribute ? sheet : Path.ChangeExtension(sheet, null) + "." + set + Path.GetExtension(sheet);

    public static void WriteJson(string path, EvalReport report) =>
        AtomicFile.WriteAllText(path, report.ToJson().ToString(Formatting.Indented));

    public static void Print(EvalReport report)
    {
        foreach (var p in report.Prompts)
            Console.WriteLine($"{p.Prompt,-45} " + string.Join("  ", p.Rates.Select(r => $"{r.Key}={p.Expect[r.Key]} {r.Value:P0}"))
                + (p.Degenerate > 0 ? $"  ({p.Degenerate} of {p.Images} images blank or broken: not judged)" : ""));
        Console.WriteLine("total: " + string.Join("  ", report.Total.Select(kv => $"{kv.Key} {kv.Value:P1}")));
        foreach (var (attribute, values) in report.ByConcept)
            Console.WriteLine($"{attribute}: " + string.Join("  ", values.Select(kv => $"{kv.Key} {kv.Value:P0}")));
        if (report.Degenerate > 0)
            Console.WriteLine($"warning: {report.Degenerate} of {report.Prompts.Sum(p => p.Images)} images were blank or broken (not finite, or one flat colour): " +
                              "they are not judged, and the rates are over the rest");
    }
}
