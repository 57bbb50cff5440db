using Newtonsoft.Json.Linq;
using ShapesWorld.Evaluation;

namespace SampleHost.Cli.Verbs;

/// <summary>
/// Every method judged on one prompt set against the base model: the erased concepts' rates and what the others lost
/// (mean and worst drop, and which concept), as one row per method: base, each baseline, then the edit.
/// </summary>
internal static class MethodComparison
{
    public sealed record Row(string Method, IReadOnlyDictionary<string, double?> Erased, double MeanDrop, double MaxDrop, string? Worst, int Degenerate);

    public static Row Compare(string method, EvalReport baseline, EvalReport judged, IReadOnlyList<string> erased)
    {
        var b = baseline.ByConcept;
        var a = judged.ByConcept;
        var rates = new Dictionary<string, double?>();
        var drops = new List<(string Concept, double Drop)>();
        foreach (var (attribute, values) in b)
        {
            a.TryGetValue(attribute, out var after);
            foreach (var (value, before) in values)
            {
                double? rate = after is not null && after.TryGetValue(value, out var r) ? r : null;
                if (erased.Contains(value)) rates[value] = rate;
                else if (rate is { } kept) drops.Add((value, before - kept));
            }
        }
        var worst = drops.Count == 0 ? default : drops.MaxBy(d => d.Drop);
        // No concept lost anything (the base against itself): there is no worst one to name.
        return new Row(method, rates, drops.Count == 0 ? 0 : drops.Average(d => d.Drop), drops.Count == 0 ? 0 : worst.Drop,
            drops.Count == 0 || worst.Drop <= 0 ? null : worst.Concept, judged.Degenerate);
    }

    public static JArray ToJson(IEnumerable<Row> rows) => new(rows.Select(r => new JObject
    {
        ["method"] = r.Method,
        ["erased"] = new JObject(r.Erased.Select(kv => new JProperty(kv.Key, kv.Value is { } v ? (object)Math.Round(v, 4) : null))),
        ["others_mean_drop"] = Math.Round(r.MeanDrop, 4),
        ["others_max_drop"] = Math.Round(r.MaxDrop, 4),
        ["others_worst"] = r.Worst,
        ["degenerate"] = r.Degenerate,
    }));

    /// <summary>The rows as a text table, rates and drops in percent.</summary>
    public static string Table(string set, IReadOnlyList<Row> rows)
    {
        var concepts = rows.SelectMany(r => r.Erased.Keys).Distinct().ToList();
        var header = $"{set + " prompts",-24}" + string.Concat(concepts.Select(c => $"{c,10}")) + "   others: mean / worst drop";
        var lines = new List<string> { header };
        foreach (var r in rows)
            lines.Add($"{r.Method,-24}" + string.Concat(concepts.Select(c => r.Erased.TryGetValue(c, out var v) && v is { } x ? $"{x * 100,9:F1}%" : $"{"-",10}"))
                      + (r.Method == "base" ? "   -" : $"   {r.MeanDrop * 100:F1} / {r.MaxDrop * 100:F1}{(r.Worst is null ? "" : $" ({r.Worst})")}")
                      + (r.Degenerate > 0 ? $"   ({r.Degenerate} blank or broken)" : ""));
        return string.Join(Environment.NewLine, lines);
    }
}
