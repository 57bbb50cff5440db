using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using SampleHost.Cli;
using SampleHost.Engine.Safetensors;
using SampleHost.Engine.StableDiffusion;
using SampleHost.Models;
using SampleHost.Runtime;
using SampleHost.World;
using SampleHost.World.Classifier;
using SampleHost.World.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace SampleHost.Verbs;

internal static class EvalVerb
{
    public static Verb Create() => new()
    {
        Name = "eval",
        Description = "Generate K images per prompt of a prompts file and judge them with the model's world classifier: how often the expected shape, colour and style are drawn.",
        Options =
        [
            new OptionSpec("model", "model folder (with a classifier/ subfolder)", Required: true),
            new OptionSpec("prompts", "JSON Lines: {\"prompt\": ..., \"expect\": {\"shape\"|\"color\"|\"style\": ...}}", Required: true),
            new OptionSpec("images-per-prompt", "K images per prompt", "20"),
            new OptionSpec("seed", "seed of the first image", "0"),
            new OptionSpec("steps", "DDIM steps", "25"),
            new OptionSpec("guidance", "classifier-free guidance scale", "7.5"),
            new OptionSpec("delta", "U-Net tensors to swap in before generating (an ESD delta or any safetensors of U-Net tensors by name)"),
            new OptionSpec("classifier", "classifier folder (default: <model>/classifier)"),
            new OptionSpec("out", "write the report as JSON here"),
            new OptionSpec("sheet", "write a labelled grid of the images here (PNG)"),
            new OptionSpec("device", "cpu, cuda, cuda:N or auto"),
        ],
        Handler = (args, cancel) =>
        {
            var prompts = PromptFile.Read(args.Require("prompts"));
            var settings = new WorldEvaluator.Settings(args.Int("images-per-prompt", 1, 10000), args.Long("seed"), args.Int("steps", 1, 1000), args.Double("guidance"));
            var report = Evaluate(args.Require("model"), args.Get("classifier"), prompts, settings, args.Get("delta"), TorchDevices.Resolve(args.Get("device")), args.Get("sheet"), cancel);
            if (args.Get("out") is { } outPath) WriteJson(outPath, report);
            Print(report);
            return Task.FromResult(0);
        },
    };

    public static EvalReport Evaluate(string modelDir, string? classifierDir, IReadOnlyList<EvalPrompt> prompts, WorldEvaluator.Settings settings,
        string? delta, Device device, string? sheet, CancellationToken cancel)
    {
        using var model = StableDiffusionModel.Load(modelDir, device, ScalarType.Float32);
        using var patches = new WeightPatcher(model.Unet);
        if (delta is not null)
        {
            using var contents = SafetensorsFiles.Instance.Read(delta);
            patches.Apply(contents.Tensors, Path.GetFileName(delta));
        }
        return Evaluate(model, classifierDir, prompts, settings, delta, sheet, cancel);
    }

    /// <summary>Evaluates a loaded model as it is (with whatever weights are live).</summary>
    public static EvalReport Evaluate(StableDiffusionModel model, string? classifierDir, IReadOnlyList<EvalPrompt> prompts, WorldEvaluator.Settings settings,
        string? delta, string? sheet, CancellationToken cancel)
    {
        var (classifier, _) = ClassifierFiles.Load(classifierDir ?? Path.Combine(model.Folder.Root, ClassifierFiles.FolderName));
        using var __ = classifier;
        classifier.to(model.Device);
        var (outcomes, images) = WorldEvaluator.Run(model, classifier, prompts, settings,
            (done, total) => Console.Error.WriteLine($"eval: prompt {done}/{total}"), cancel);
        try
        {
            if (sheet is not null)
            {
                var matches = images.Select((batch, i) => (IReadOnlyList<bool>)classifier.Predict(batch)
                    .Select(p => outcomes[i].Expect.All(e => p[e.Key] == e.Value)).ToList()).ToList();
                ContactSheet.Save(sheet, images, outcomes, matches);
            }
        }
        finally
        {
            foreach (var t in images) t.Dispose();
        }
        return new EvalReport
        {
            Model = model.Folder.Root, Delta = delta is null ? null : Path.GetFullPath(delta),
            ImagesPerPrompt = settings.ImagesPerPrompt, Seed = settings.Seed, Steps = settings.Steps, Guidance = settings.Guidance,
            Prompts = outcomes,
        };
    }

    public static JObject ToJson(EvalReport report)
    {
        var json = JObject.FromObject(report);
        json["total"] = JObject.FromObject(report.Total);
        json["by_concept"] = JObject.FromObject(report.ByConcept);
        return json;
    }

    public static void WriteJson(string path, EvalReport report)
    {
        var json = ToJson(report);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, json.ToString(Formatting.Indented));
        File.Move(temp, path, overwrite: true);
    }

    public static void Print(EvalReport report)
    {
        foreach (var p in report.Prompts)
            Console.WriteLine($"{p.Prompt,-45} " + string.Join("  ", p.Rates.Select(r => $"{r.Key}={p.Expect[r.Key]} {r.Value:P0}")));
        Console.WriteLine("total: " + string.Join("  ", report.Total.Select(kv => $"{kv.Key} {kv.Value:P1}")));
        foreach (var (attribute, values) in report.ByConcept)
            Console.WriteLine($"{attribute}: " + string.Join("  ", values.Select(kv => $"{kv.Key} {kv.Value:P0}")));
    }
}
