using DiffusionEngine.IO;
using Host.Abstractions;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using SampleHost.Cli;
using SampleHost.Commands;
using SampleHost.LoadedModels;
using SampleHost.Hosting;
using ShapesWorld;
using ShapesWorld.Evaluation;

namespace SampleHost.Cli.Verbs;

/// <summary>
/// The product's main job in one step, for models that ship an evaluation world (the bundled model): run the
/// plugin command <c>esd.erase-concept</c>, then judge the model before and after with the shipped prompts and
/// classifier, and write the delta, a before/after grid and a report. Beside the edit it judges the paper's
/// inference-time baselines on the base weights, with the same prompts and seeds (the concept as negative prompt,
/// Safe Latent Diffusion), one grid each. Only command ids are used: the studio knows no plugin's code.
/// </summary>
internal static class EraseVerb
{
    public static Verb Create(StudioHost host) => new()
    {
        Name = "erase",
        Description = "Erase concept(s) with the ESD plugin and report what changed: rates before and after for the erased concept and the others, a before/after grid.",
        Options =
        [
            new OptionSpec("concepts", "concept(s) to erase, comma-separated", Required: true),
            new OptionSpec("model", "model folder with prompts/ and classifier/", "models/tiny-shapes"),
            new OptionSpec("method", "ESD method (default: the model's esd_defaults.json)"),
            new OptionSpec("iterations", "training iterations, in all (default: the model's per concept, times the concepts)"),
            new OptionSpec("seed", "training and evaluation seed", "0"),
            new OptionSpec("learning-rate", "Adam learning rate (default: the model's)"),
            new OptionSpec("timestep-mapping", "paper or matched (default: the model's)"),
            new OptionSpec("eta", "negative guidance strength (default: the model's)"),
            new OptionSpec("start-guidance", "guidance when sampling x_t (default: the model's)"),
            new OptionSpec("xt-from", "trained or frozen (default: the model's)"),
            new OptionSpec("batch-size", "x_t samples per iteration (default: the model's)"),
            new OptionSpec("prompt-templates", "prompts the concept is trained under, {} for the concept, comma-separated (default: the model's)"),
            new OptionSpec("preserve", "concepts to keep as they were, comma-separated, or none (default: the model's)"),
            new OptionSpec("preserve-weight", "weight of the retain term (default: the model's)"),
            new OptionSpec("pool-size", "trajectories kept per prompt for frozen-model x_t, 0 for none (default: the model's)"),
            new OptionSpec("retain-pool-size", "trajectories kept per prompt for the retain term, 0 for none (default: the model's)"),
            new OptionSpec("pool-refresh", "iterations between re-samplings of the frozen pool, 0 for never (default: the model's)"),
            new OptionSpec("xt-refresh", "with --xt-from trained: 0 for exact sampling, M to re-sample a pool of the trained model every M iterations (default: the model's)"),
            new OptionSpec("images-per-prompt", "K images per prompt for the report", "20"),
            new OptionSpec("baselines", $"inference-time methods judged beside the edit on the base weights: {string.Join(", ", SamplingBaseline.Known)}, comma-separated, or none",
                SamplingBaseline.Default),
            new OptionSpec("out", "folder for the report, grids and a copy of the delta", "erase-report"),
            new OptionSpec("device", "cpu, cuda, cuda:N or auto"),
            new OptionSpec("dtype", "float32, float16 or bfloat16", "float32"),
        ],
        Handler = (args, cancel) => RunAsync(host, args, cancel),
    };

    private static async Task<int> RunAsync(StudioHost host, ParsedArgs args, CancellationToken cancel)
    {
        HostSelection.Apply(host, args);
        var folder = host.ModelCache.ActiveModelFolder!;
        var sets = PromptSets.Split(PromptSets.ReadFolder(folder));
        if (sets.Count == 0) throw new UsageException($"{folder}: no prompts/*.jsonl to judge the erasure with");
        var outDir = Path.GetFullPath(args.Require("out"));
        Directory.CreateDirectory(outDir);
        var settings = new WorldEvaluator.Settings(args.Int("images-per-prompt", 1, 10000), args.Long("seed"));
        var concepts = args.Require("concepts");
        // Parsed before the training: a misspelt method must not cost minutes.
        var baselines = SamplingBaseline.Parse(args.Require("baselines"), "baselines");

        var erase = new Dictionary<string, string> { ["concepts"] = concepts, ["seed"] = args.Require("seed") };
        foreach (var passed in new[] { "method", "iterations", "learning-rate", "timestep-mapping", "eta", "start-guidance", "xt-from", "prompt-templates", "batch-size", "preserve", "preserve-weight",
                     "pool-size", "retain-pool-size", "pool-refresh", "xt-refresh" })
            if (args.Get(passed) is { } value) erase[passed] = value;
        var result = await Run(host, "esd.erase-concept", erase, cancel);
        var delta = result.Files.Single();
        File.Copy(delta, Path.Combine(outDir, Path.GetFileName(delta)), overwrite: true);

        var before = new Dictionary<string, EvalReport>();
        var after = new Dictionary<string, EvalReport>();
        async Task Judge(Dictionary<string, EvalReport> into, string? edit, string picture, WorldEvaluator.Settings with)
        {
            using var lease = await host.ModelCache.AcquireAsync(LeaseMode.Shared, cancel);
            foreach (var (name, prompts) in sets)
                into[name] = EvalVerb.Evaluate(((StudioModel)lease.Model).Engine, null, prompts, with, edit,
                    EvalVerb.SheetFor(Path.Combine(outDir, picture), name), cancel);
        }
        var erased = concepts.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(c => c.ToLowerInvariant()).ToList();
        // The baselines steer away from the concepts' own words, as a user would type them.
        var conceptText = string.Join(", ", erased);
        await Judge(before, null, "before.png", settings);
        var byBaseline = new List<(SamplingBaseline Method, Dictionary<string, EvalReport> Reports)>();
        foreach (var baseline in baselines)
        {
            Console.Error.WriteLine($"erase: judging the base model with {baseline.Label} against \"{conceptText}\"");
            var reports = new Dictionary<string, EvalReport>();
            await Judge(reports, null, baseline.Name + ".png", baseline.Apply(conceptText, settings));
            byBaseline.Add((baseline, reports));
        }
        await Run(host, "esd.load-edited-model", new() { ["delta"] = delta }, cancel);
        await Judge(after, delta, "after.png", settings);
        await Run(host, "esd.restore-original", [], cancel);

        var summary = new JObject(sets.Select(set => new JProperty(set.Name, Summary(before[set.Name], after[set.Name], erased))));
        var comparison = sets.ToDictionary(set => set.Name, set =>
            (IReadOnlyList<MethodComparison.Row>)[
                MethodComparison.Compare("base", before[set.Name], before[set.Name], erased),
                .. byBaseline.Select(b => MethodComparison.Compare(b.Method.Label, before[set.Name], b.Reports[set.Name], erased)),
                MethodComparison.Compare("ESD (this edit)", before[set.Name], after[set.Name], erased),
            ]);
        var report = new JObject
        {
            ["concepts"] = new JArray(erased), ["delta"] = delta, ["message"] = result.Message, ["summary"] = summary,
            ["comparison"] = new JObject(comparison.Select(kv => new JProperty(kv.Key, MethodComparison.ToJson(kv.Value)))),
            ["before"] = new JObject(before.Select(kv => new JProperty(kv.Key, kv.Value.ToJson()))),
            ["after"] = new JObject(after.Select(kv => new JProperty(kv.Key, kv.Value.ToJson()))),
            ["baselines"] = new JObject(byBaseline.Select(b => new JProperty(b.Method.Name,
                new JObject(b.Reports.Select(kv => new JProperty(kv.Key, kv.Value.ToJson())))))),
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, "report.json"), report.ToString(Formatting.Indented));
        Console.WriteLine(result.Message);
        Console.WriteLine(summary.ToString(Formatting.Indented));
        foreach (var (set, rows) in comparison) Console.WriteLine(Environment.NewLine + MethodComparison.Table(set, rows));
        var grids = new[] { "before.png", "after.png" }.Concat(byBaseline.Select(b => b.Method.Name + ".png"));
        var pictures = string.Join(", ", sets.SelectMany(set => grids.Select(f => Path.GetFileName(EvalVerb.SheetFor(f, set.Name)!))));
        Console.WriteLine($"wrote {Path.Combine(outDir, "report.json")}, {pictures} and the delta {Path.GetFileName(delta)}");
        int degenerateBefore = before.Values.Sum(r => r.Degenerate), degenerateAfter = after.Values.Sum(r => r.Degenerate);
        // (A baseline's blank images are reported in its row; they say nothing about the edit.)
        if (degenerateAfter > degenerateBefore)
        {
            // Blank images are not an erasure: the edit broke the model.
            Console.Error.WriteLine($"error: the edited model drew {degenerateAfter} blank or broken images (the original {degenerateBefore}): " +
                                    "the edit damaged the model, so nothing is judged erased");
            return 1;
        }
        return 0;
    }
    /// <summary>
    /// Per attribute the prompts ask for: each value's rate before and after (erased ones marked) and the other values'
    /// mean and largest drop; then over every attribute, the concepts not erased ("others"): what erasure must leave alone.
    /// </summary>
    private static JObject Summary(EvalReport before, EvalReport after, IReadOnlyList<string> erased)
    {
        var summary = new JObject { ["degenerate_before"] = before.Degenerate, ["degenerate_after"] = after.Degenerate };
        var b = before.ByConcept;
        var a = after.ByConcept;
        var drops = new List<double>();
        foreach (var (attribute, bv) in b)
        {
            if (!a.TryGetValue(attribute, out var av)) continue;
            var rows = new JObject();
            foreach (var value in bv.Keys)
                rows[value] = new JObject
                {
                    ["before"] = Math.Round(bv[value], 4),
                    // null: every image of that concept's prompts was blank or broken, so nothing was judged.
                    ["after"] = av.TryGetValue(value, out var rate) ? (JToken)Math.Round(rate, 4) : JValue.CreateNull(),
                    ["erased"] = erased.Contains(value),
                };
            var others = bv.Keys.Where(v => !erased.Contains(v) && av.ContainsKey(v)).ToList();
            drops.AddRange(others.Select(v => bv[v] - av[v]));
            summary[attribute] = new JObject
            {
                ["concepts"] = rows,
                ["others_mean_drop"] = others.Count == 0 ? 0 : Math.Round(others.Average(v => bv[v] - av[v]), 4),
                ["others_max_drop"] = others.Count == 0 ? 0 : Math.Round(others.Max(v => bv[v] - av[v]), 4),
            };
        }
        summary["others"] = new JObject
        {
            ["concepts"] = drops.Count,
            ["mean_drop"] = drops.Count == 0 ? 0 : Math.Round(drops.Average(), 4),
            ["max_drop"] = drops.Count == 0 ? 0 : Math.Round(drops.Max(), 4),
        };
        return summary;
    }

    internal static async Task<CommandResult> Run(StudioHost host, string id, Dictionary<string, string> given, CancellationToken cancel)
    {
        var command = host.Commands.Find(id) ?? throw new UsageException($"command '{id}' is not available: is the ESD plugin active? (studio plugins)");
        var progress = new ConsoleProgress(Console.Error, !Console.IsErrorRedirected, null, host.Logging.CreateLogger("erase"));
        var outcome = await host.Runner.RunAsync(command, given, progress, cancel);
        progress.Finish();
        return outcome.Kind switch
        {
            CommandOutcomeKind.Succeeded => outcome.Result!,
            CommandOutcomeKind.Cancelled => throw new OperationCanceledException(),
            _ => throw new InvalidOperationException($"{id}: {outcome.Error}"),
        };
    }
}
