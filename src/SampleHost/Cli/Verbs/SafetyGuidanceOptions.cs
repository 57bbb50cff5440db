using DiffusionEngine.StableDiffusion;

namespace SampleHost.Cli.Verbs;

/// <summary>The command line's Safe Latent Diffusion options: a concept, a preset by name, and any value overridden.</summary>
internal static class SafetyGuidanceOptions
{
    public static readonly OptionSpec[] Options =
    [
        new("sld", "Safe Latent Diffusion: steer the sampling away from this concept text (weights unchanged)"),
        new("sld-preset", $"SLD preset: {string.Join(", ", SafetyGuidance.PresetNames)}", "medium"),
        new("sld-warmup-steps", "SLD: steps before the safety guidance applies (default: the preset's)"),
        new("sld-guidance-scale", "SLD: safety guidance scale, at most 1 = off (default: the preset's)"),
        new("sld-threshold", "SLD: threshold (default: the preset's)"),
        new("sld-momentum-scale", "SLD: momentum scale (default: the preset's)"),
        new("sld-momentum-beta", "SLD: momentum beta, 0 to 1 (default: the preset's)"),
    ];

    /// <summary>The settings the options ask for; null without --sld. Overriding a value leaves the preset ("custom").</summary>
    public static SafetyGuidance? Parse(ParsedArgs args)
    {
        if (args.Get("sld") is not { } concept)
        {
            foreach (var o in Options.Skip(1))
                if (args.Has(o.Name)) throw new UsageException($"--{o.Name} needs --sld <concept>");
            return null;
        }
        if (string.IsNullOrWhiteSpace(concept)) throw new UsageException("--sld: the concept is empty");
        SafetyGuidance s;
        try { s = SafetyGuidance.FromPreset(args.Get("sld-preset") ?? "medium", concept); }
        catch (ArgumentException e) { throw new UsageException($"--sld-preset: {e.Message}"); }
        var preset = s;
        if (args.Has("sld-warmup-steps")) s = s with { WarmupSteps = args.Int("sld-warmup-steps", 0, 100000) };
        if (args.Has("sld-guidance-scale")) s = s with { GuidanceScale = args.Double("sld-guidance-scale", 0) };
        if (args.Has("sld-threshold")) s = s with { Threshold = args.Double("sld-threshold") };
        if (args.Has("sld-momentum-scale")) s = s with { MomentumScale = args.Double("sld-momentum-scale", 0) };
        if (args.Has("sld-momentum-beta")) s = s with { MomentumBeta = args.Double("sld-momentum-beta", 0, 1) };
        return s == preset ? s : s with { Preset = null };
    }
}
