using System.Diagnostics;
using System.Globalization;
using EsdPlugin.Training;
using SampleHost.LoadedModels;
using SampleHost.Plugins;
using ShapesWorld;
using ShapesWorld.Evaluation;
using static TorchSharp.torch;

namespace EsdBench;

/// <summary>
/// ESD runs on the bundled model in one process, each a variant of the model's defaults (<c>name:key=value,...</c>,
/// esd_defaults.json's field names): time per iteration, total training time, the pools' memory and the erase figures
/// on the shipped prompts of the concept's attribute (its rate, the other values' mean and worst drop).
/// </summary>
internal static class SpeedFigures
{
    public static int Run(Dictionary<string, string> options)
    {
        var concepts = (options.GetValueOrDefault("concepts") ?? "star").Split(',');
        var variants = (options.GetValueOrDefault("variants") ?? "old:xt_refresh=0,pool_size=0,retain_pool_size=0,one_thread_small_calls=0;new:").Split(';', StringSplitOptions.RemoveEmptyEntries);
        var attribute = WorldInventory.AttributeOf(concepts[0]) ?? throw new ArgumentException($"'{concepts[0]}' is not a value of the world");
        using var judge = BundledJudge.Open(options);
        var (model, modelDir, k) = (judge.Model, judge.Folder, judge.ImagesPerPrompt);
        // Every shipped prompt, as the erase verb judges them (a shape is also asked for by the colour and style files' prompts).
        var prompts = judge.PromptFiles.SelectMany(PromptFile.Read).ToList();
        Dictionary<string, double> Rates(string label) => judge.Rates(prompts, label)[attribute];

        Console.WriteLine($"model {modelDir}; concepts {string.Join(",", concepts)}; every shipped prompt, K = {k}, seed 0 (as the erase verb); torch threads {get_num_threads()}");
        var baseRates = Rates("base");
        Console.WriteLine("base: " + string.Join("  ", baseRates.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value:P0}")));
        foreach (var variant in variants)
        {
            var (name, overrides) = Parse(variant);
            var settings = Apply(EsdDefaults.For(modelDir, concepts, overrides.TryGetValue("method", out var m) ? EsdMethods.Parse(m) : null), overrides);
            var sw = Stopwatch.StartNew();
            using var result = new EsdTrainer(model, SafetensorsFiles.Instance).Train(settings, resume: false, null, CancellationToken.None);
            double seconds = sw.Elapsed.TotalSeconds;
            model.Patches.Apply(result.Trained, "speed-" + name);
            var rates = Rates(name);
            model.Patches.Restore();
            var drops = rates.Where(kv => !concepts.Contains(kv.Key)).Select(kv => (kv.Key, Drop: baseRates[kv.Key] - kv.Value)).ToList();
            var worst = drops.MaxBy(d => d.Drop);
            Console.WriteLine($"{name} ({string.Join(",", overrides.Select(kv => $"{kv.Key}={kv.Value}"))}): {settings.Method.Name()} {settings.Iterations} iterations x batch {settings.BatchSize}, " +
                              $"xt {settings.XtFrom.Name()}{(settings.XtRefresh > 0 && settings.XtFrom == XtSource.Trained ? $" refreshed every {settings.XtRefresh}" : "")}, pools {settings.PoolSize}/{settings.RetainPoolSize} " +
                              $"({result.PoolBytes.Held / 1048576.0:F1} MiB, bound {result.PoolBytes.Bound / 1048576.0:F1} MiB): " +
                              $"training {seconds:F1} s (pools filled in {result.PoolFilling.TotalSeconds:F1} s; {(seconds - result.PoolFilling.TotalSeconds) / settings.Iterations * 1000:F0} ms per iteration besides); " +
                              string.Join(", ", concepts.Select(c => $"{c} {baseRates.GetValueOrDefault(c):P0} -> {rates.GetValueOrDefault(c):P0}")) +
                              $"; others' mean drop {drops.Average(d => d.Drop) * 100:0.0} pt, worst {worst.Key} {worst.Drop * 100:0} pt");
            Console.WriteLine("  " + string.Join("  ", rates.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value:P0}")));
        }
        return 0;
    }

    private static (string Name, Dictionary<string, string> Overrides) Parse(string variant)
    {
        int colon = variant.IndexOf(':');
        var name = colon < 0 ? variant : variant[..colon];
        var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
        if (colon >= 0)
            foreach (var pair in variant[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var kv = pair.Split('=', 2);
                if (kv.Length != 2) throw new ArgumentException($"--variants: '{pair}' is not key=value");
                overrides[kv[0].Trim()] = kv[1].Trim();
            }
        return (name, overrides);
    }

    private static EsdSettings Apply(EsdSettings s, Dictionary<string, string> o)
    {
        int I(string key, int fallback) => o.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        double D(string key, double fallback) => o.TryGetValue(key, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var known = new HashSet<string> { "method", "iterations", "learning_rate", "batch_size", "xt_from", "xt_refresh", "pool_size", "retain_pool_size",
            "pool_refresh", "ddim_steps", "preserve_weight", "eta", "start_guidance", "seed", "one_thread_small_calls" };
        foreach (var key in o.Keys) if (!known.Contains(key)) throw new ArgumentException($"--variants: unknown field '{key}' (known: {string.Join(", ", known)})");
        return s with
        {
            Iterations = I("iterations", s.Iterations), LearningRate = D("learning_rate", s.LearningRate), BatchSize = I("batch_size", s.BatchSize),
            XtFrom = o.TryGetValue("xt_from", out var x) ? XtSources.Parse(x) : s.XtFrom, XtRefresh = I("xt_refresh", s.XtRefresh),
            PoolSize = I("pool_size", s.PoolSize), RetainPoolSize = I("retain_pool_size", s.RetainPoolSize), PoolRefresh = I("pool_refresh", s.PoolRefresh),
            DdimSteps = I("ddim_steps", s.DdimSteps), PreserveWeight = D("preserve_weight", s.PreserveWeight), Eta = D("eta", s.Eta),
            StartGuidance = D("start_guidance", s.StartGuidance), Seed = I("seed", (int)s.Seed),
            OneThreadForSmallCalls = I("one_thread_small_calls", 1) == 1,
        };
    }
}
