using DiffusionEngine.StableDiffusion;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Newtonsoft.Json.Serialization;

namespace ShapesWorld.Evaluation;

/// <summary>
/// One prompt's outcome: per attribute, the fraction of the judged images showing the expected value, and the counts
/// of what was seen. <see cref="Degenerate"/> images (blank, uniform or not finite) are not judged: a broken model's
/// black squares are never counted as "the concept is absent". With no judged image, <see cref="Rates"/> is empty.
/// </summary>
public sealed record PromptOutcome(string Prompt, IReadOnlyDictionary<string, string> Expect,
    IReadOnlyDictionary<string, double> Rates, IReadOnlyDictionary<string, Dictionary<string, int>> Predicted, int Images, int Degenerate = 0)
{
    /// <summary>Images the classifier judged.</summary>
    public int Judged => Images - Degenerate;
}

/// <summary>An evaluation run: per prompt, in total per attribute, and per expected concept.</summary>
public sealed record EvalReport
{
    public required string Model { get; init; }
    public string? Delta { get; init; }
    public required int ImagesPerPrompt { get; init; }
    public required long Seed { get; init; }
    public required int Steps { get; init; }
    public required double Guidance { get; init; }
    /// <summary>The negative prompt the images were sampled with; null: none (the empty prompt).</summary>
    public string? NegativePrompt { get; init; }
    /// <summary>Safe Latent Diffusion the images were sampled with; null: none.</summary>
    public SafetyGuidance? Safety { get; init; }
    public required IReadOnlyList<PromptOutcome> Prompts { get; init; }

    /// <summary>Per attribute: the fraction of images (over prompts expecting that attribute) showing the expected value.</summary>
    public Dictionary<string, double> Total => Prompts.SelectMany(p => p.Rates.Select(r => (r.Key, r.Value, p.Judged)))
        .GroupBy(x => x.Key).ToDictionary(g => g.Key, g => g.Sum(x => x.Value * x.Judged) / g.Sum(x => x.Judged));

    /// <summary>Images that were blank, uniform or not finite, over all prompts (not judged).</summary>
    public int Degenerate => Prompts.Sum(p => p.Degenerate);

    /// <summary>Per attribute and expected value (e.g. shape/star): the fraction of images showing it.</summary>
    public Dictionary<string, Dictionary<string, double>> ByConcept => Prompts
        .Where(p => p.Judged > 0)
        .SelectMany(p => p.Expect.Select(e => (Attribute: e.Key, Value: e.Value, Rate: p.Rates[e.Key], p.Judged)))
        .GroupBy(x => x.Attribute)
        .ToDictionary(g => g.Key, g => g.GroupBy(x => x.Value).ToDictionary(v => v.Key, v => v.Sum(x => x.Rate * x.Judged) / v.Sum(x => x.Judged)));

    private static readonly JsonSerializer Snake = JsonSerializer.Create(new JsonSerializerSettings
    {
        // Field names in snake_case; dictionary keys (attributes, concepts) as they are.
        ContractResolver = new DefaultContractResolver { NamingStrategy = new SnakeCaseNamingStrategy { ProcessDictionaryKeys = false } },
    });

    /// <summary>The report as JSON, every field once (snake_case names), totals and per-concept rates included.</summary>
    public JObject ToJson() => JObject.FromObject(this, Snake);
}
