using System.Globalization;
using EsdPlugin.Lora;
using Host.Abstractions;
using SampleHost.LoadedModels;
using SampleHost.Plugins;
using ShapesWorld;
using ShapesWorld.Evaluation;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace EsdBench;

/// <summary>
/// The erased concept's rate on the shipped prompts for one delta at strengths 0..1, as compact LoRAs of several ranks
/// (with their file sizes) and as the exact LoRA, in one process on the bundled model; writes strength.png (the curve).
/// </summary>
internal static class ExportFigures
{
    public static int Run(Dictionary<string, string> options)
    {
        var modelDir = Path.GetFullPath(options.GetValueOrDefault("model") ?? "models/tiny-shapes");
        var deltaPath = options.GetValueOrDefault("delta") ?? throw new ArgumentException("--delta <file> is required");
        var concept = options.GetValueOrDefault("concept") ?? "star";
        var attribute = options.GetValueOrDefault("attribute") ?? "shape";
        var promptsFile = options.GetValueOrDefault("prompts") ?? Path.Combine(modelDir, "prompts", attribute + "s.jsonl");
        int k = int.Parse(options.GetValueOrDefault("images-per-prompt") ?? "20", CultureInfo.InvariantCulture);
        var outDir = Directory.CreateDirectory(options.GetValueOrDefault("out") ?? "export-figures").FullName;
        var strengths = (options.GetValueOrDefault("strengths") ?? "0,0.25,0.5,0.75,1").Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToList();
        var ranks = (options.GetValueOrDefault("ranks") ?? "4,8,16,32").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();

        var prompts = PromptFile.Read(promptsFile);
        var settings = new WorldEvaluator.Settings(k, 0, 25, 7.5);
        using var model = (StudioModel)StudioModel.Load(ModelKey.For(modelDir, CPU, ScalarType.Float32), CancellationToken.None);
        var files = SafetensorsFiles.Instance;
        using var delta = files.Read(deltaPath);

        double Rate(string label)
        {
            var report = WorldEvaluator.Evaluate(model.Engine, null, prompts, settings, label, null);
            return report.ByConcept[attribute][concept];
        }

        Console.WriteLine($"model {modelDir}; delta {deltaPath}; {concept} on {Path.GetFileName(promptsFile)}, K = {k}");
        var curve = new List<(double Strength, double Rate)>();
        foreach (var s in strengths)
        {
            model.Patches.Apply([new PatchPart(delta.Tensors, s)], $"strength-{s}");
            var rate = Rate($"strength {s}");
            curve.Add((s, rate));
            Console.WriteLine($"strength {s,5:0.00}: {concept} {rate:P1}");
        }
        model.Patches.Restore();
        WritePlot(Path.Combine(outDir, "strength.png"), curve);

        // LoRA files of the delta: the differences from the base, exact and at each rank.
        var names = new LoraNames(model);
        var differences = delta.Tensors.ToDictionary(kv => kv.Key, kv =>
        {
            using var original = model.Patches.Original(kv.Key);
            return kv.Value.to(ScalarType.Float32) - original.to(ScalarType.Float32);
        });
        long deltaBytes = new FileInfo(deltaPath).Length;
        Console.WriteLine($"full delta: {deltaBytes / 1024.0:0.#} KB, {concept} {curve.Last().Rate:P1} (strength 1)");
        var forms = new List<(string Label, Dictionary<string, Tensor> Tensors, string Errors)> { ("exact", LoraExport.Exact(differences, names), "") };
        foreach (var r in ranks)
        {
            var (tensors, errors) = LoraExport.Compact(differences, names, r, r);
            forms.Add(($"rank {r}", tensors, $"relative error mean {errors.Average(e => e.RelativeError):0.###}, worst {errors.Max(e => e.RelativeError):0.###}"));
        }
        foreach (var (label, tensors, errors) in forms)
        {
            var path = Path.Combine(outDir, $"lora-{label.Replace(' ', '-')}.safetensors");
            files.Write(path, tensors);
            var lora = LoraFile.Open(files, path);
            var loaded = lora.Differences(model, files);
            model.Patches.Apply([new PatchPart(loaded, 1, PatchForm.Difference)], lora.Stamp);
            foreach (var t in loaded.Values) t.Dispose();
            if (label == "exact")
            {
                // base + (edited − base) in float32 against the edited weights themselves.
                long same = 0, all = 0;
                double worst = 0;
                var live = model.Unet.named_parameters().ToDictionary(p => p.name, p => p.parameter);
                foreach (var (name, value) in delta.Tensors)
                {
                    using var eq = live[name].eq(value);
                    same += eq.sum().item<long>();
                    all += value.numel();
                    using var diff = (live[name] - value).abs().max();
                    worst = Math.Max(worst, diff.item<float>());
                }
                Console.WriteLine($"exact LoRA loaded back: {same:N0} of {all:N0} edited elements bit-identical ({100.0 * same / all:0.00}%), largest difference {worst:E2}");
            }
            var rate = Rate(label);
            Console.WriteLine($"LoRA {label,-8}: {new FileInfo(path).Length / 1024.0,8:0.#} KB, {concept} {rate:P1}{(errors.Length > 0 ? "; " + errors : "")}");
            model.Patches.Restore();
        }
        return 0;
    }

    /// <summary>A small line chart: rate (0..100%) against strength, one dot per measurement.</summary>
    private static void WritePlot(string path, List<(double Strength, double Rate)> curve)
    {
        const int w = 360, h = 240, left = 40, bottom = 30, top = 15, right = 15;
        using var image = new Image<Rgb24>(w, h, new Rgb24(255, 255, 255));
        double minS = curve.Min(c => c.Strength), maxS = Math.Max(curve.Max(c => c.Strength), minS + 1e-9);
        (int X, int Y) At(double s, double r) => (left + (int)Math.Round((s - minS) / (maxS - minS) * (w - left - right)), h - bottom - (int)Math.Round(r * (h - bottom - top)));
        var axis = new Rgb24(0, 0, 0);
        var grid = new Rgb24(225, 225, 225);
        for (int g = 0; g <= 4; g++) Line(image, At(minS, g / 4.0), At(maxS, g / 4.0), g == 0 ? axis : grid);
        Line(image, At(minS, 0), At(minS, 1), axis);
        var blue = new Rgb24(30, 90, 200);
        for (int i = 1; i < curve.Count; i++) Line(image, At(curve[i - 1].Strength, curve[i - 1].Rate), At(curve[i].Strength, curve[i].Rate), blue);
        foreach (var (s, r) in curve)
        {
            var (x, y) = At(s, r);
            for (int dx = -3; dx <= 3; dx++)
                for (int dy = -3; dy <= 3; dy++)
                    if (dx * dx + dy * dy <= 9 && x + dx is >= 0 and < w && y + dy is >= 0 and < h) image[x + dx, y + dy] = blue;
        }
        image.SaveAsPng(path);
        File.WriteAllText(Path.ChangeExtension(path, ".legend.txt"),
            "x: strength (" + string.Join(", ", curve.Select(c => c.Strength.ToString("0.##", CultureInfo.InvariantCulture))) + "); " +
            "y: rate of the erased concept on the shipped prompts, 0 to 100% (grid lines every 25%)\n" +
            string.Join("\n", curve.Select(c => $"{c.Strength.ToString("0.00", CultureInfo.InvariantCulture)}\t{c.Rate.ToString("P1", CultureInfo.InvariantCulture)}")) + "\n");
    }

    private static void Line(Image<Rgb24> image, (int X, int Y) a, (int X, int Y) b, Rgb24 colour)
    {
        int steps = Math.Max(Math.Abs(b.X - a.X), Math.Abs(b.Y - a.Y));
        for (int i = 0; i <= steps; i++)
        {
            int x = a.X + (steps == 0 ? 0 : (b.X - a.X) * i / steps), y = a.Y + (steps == 0 ? 0 : (b.Y - a.Y) * i / steps);
            if (x >= 0 && x < image.Width && y >= 0 && y < image.Height) image[x, y] = colour;
        }
    }
}
