using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Newtonsoft.Json.Serialization;

namespace ShapesWorld.Evaluation;

/// <summary>One prompt's outcome: per attribute, the fraction of images showing the expected value and the counts of what was seen.</summary>
public sealed record PromptOutcome(string Prompt, IReadOnlyDictionary<string, string> Expect,
    IReadOnlyDictionary<string, double> Rates, IReadOnlyDictionary<string, Dictionary<string, int>> Predicted, int Images);

/// <summary>An evaluation run: per prompt, in total per attribute, and per expected concept.</summary>
public sealed record EvalReport
{
    public required string Model { get; init; }
    public string? Delta { get; init; }
    public required int ImagesPerPrompt { get; init; }
    public required long Seed { get; init; }
    public required int Steps { get; init; }
    public required double Guidance { get; init; }
    public required IReadOnlyList<PromptOutcome> Prompts { get; init; }

    /// <summary>Per attribute: the fraction of images (over prompts expecting that attribute) showing the expected value.</summary>
    public Dictionary<string, double> Total => Prompts.SelectMany(p => p.Rates.Select(r => (r.Key, r.Value, p.Images)))
        .GroupBy(x => x.Key).ToDictionary(g => g.Key, g => g.Sum(x => x.Value * x.Images) / g.Sum(x => x.Images));

    /// <summary>Per attribute and expected value (e.g. shape/star): the fraction of images showing it.</summary>
    public Dictionary<string, Dictionary<string, double>> ByConcept => Prompts
        .SelectMany(p => p.Expect.Select(e => (Attribute: e.Key, Value: e.Value, Rate: p.Rates[e.Key], p.Images)))
        .GroupBy(x => x.Attribute)
        .ToDictionary(g => g.Key, g => g.GroupBy(x => x.Value).ToDictionary(v => v.Key, v => v.Sum(x => x.Rate * x.Images) / v.Sum(x => x.Images)));

    private static readonly JsonSerializer Snake = JsonSerializer.Create(new JsonSerializerSettings
    {
        // Field names in snake_case; dictionary keys (attributes, concepts) as they are.
        ContractResolver = new DefaultContractResolver { NamingStrategy = new SnakeCaseNamingStrategy { ProcessDictionaryKeys = false } },
    });

    /// <summary>The report as JSON, every field once (snake_case names), totals and per-concept rates included.</summary>
    public JObject ToJson() => JObject.FromObject(this, Snake);
}
