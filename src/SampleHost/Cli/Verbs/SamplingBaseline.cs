using DiffusionEngine.StableDiffusion;
using ShapesWorld.Evaluation;

namespace SampleHost.Cli.Verbs;

/// <summary>
/// An inference-time way to keep a concept out, judged beside an erasure as the ESD paper judged it: the concept as
/// the negative prompt ("SD-Neg-Prompt"), or Safe Latent Diffusion against it at a preset. Each changes only the
/// sampling of the base weights.
/// </summary>
internal sealed record SamplingBaseline(string Name, string Label, Func<string, WorldEvaluator.Settings, WorldEvaluator.Settings> Apply)
{
    public const string NegativePrompt = "negative-prompt";
    public const string Default = "negative-prompt,sld-medium,sld-max";

    public static IReadOnlyList<string> Known => [NegativePrompt, .. SafetyGuidance.PresetNames.Select(p => "sld-" + p)];

    /// <summary>Comma-separated names (or "none") into baselines; an unknown name is a usage error that lists the known.</summary>
    public static IReadOnlyList<SamplingBaseline> Parse(string text, string option)
    {
        var names = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(n => n.ToLowerInvariant()).Distinct().ToList();
        if (names is ["none"]) return [];
        return names.Select(name => name switch
        {
            NegativePrompt => new SamplingBaseline(name, "negative prompt", (concept, s) => s with { NegativePrompt = concept }),
            _ when name.StartsWith("sld-", StringComparison.Ordinal) && SafetyGuidance.PresetNames.Contains(name[4..]) =>
                new SamplingBaseline(name, "SLD " + name[4..], (concept, s) => s with { Safety = SafetyGuidance.FromPreset(name[4..], concept) }),
            _ => throw new UsageException($"--{option}: unknown method '{name}': expected {string.Join(", ", Known)}, comma-separated, or none"),
        }).ToList();
    }
}
