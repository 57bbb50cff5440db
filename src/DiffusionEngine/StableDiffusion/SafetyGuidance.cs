using System.Globalization;
using Newtonsoft.Json;

namespace DiffusionEngine.StableDiffusion;

/// <summary>
/// Safe Latent Diffusion (Schramowski et al., CVPR 2023): at sampling time, steer each step's guidance away from a
/// concept text. Changes only the sampling, never the weights. The parameters are the paper's and diffusers'
/// <c>StableDiffusionPipelineSafe</c>'s; the four presets are its <c>SafetyConfig</c> values.
/// </summary>
public sealed record SafetyGuidance
{
    /// <summary>The text to steer away from (diffusers calls it the safety concept).</summary>
    public required string Concept { get; init; }
    /// <summary>Steps before the safety guidance is applied (its momentum accumulates during them).</summary>
    public int WarmupSteps { get; init; }
    /// <summary>Scale of |eps_prompt - eps_concept| in the element-wise strength; at most 1 (as diffusers) it is off.</summary>
    public double GuidanceScale { get; init; }
    /// <summary>Elements where eps_prompt - eps_concept reaches this value are not steered.</summary>
    public double Threshold { get; init; }
    public double MomentumScale { get; init; }
    public double MomentumBeta { get; init; }
    /// <summary>The preset's name when the values are exactly a preset's; null for custom values.</summary>
    public string? Preset { get; init; }

    /// <summary>As diffusers: the safety guidance runs only with a scale above 1 (and classifier-free guidance).</summary>
    [JsonIgnore]
    public bool IsActive => GuidanceScale > 1;

    public static readonly IReadOnlyList<string> PresetNames = ["weak", "medium", "strong", "max"];

    /// <summary>
    /// A published preset by name (weak, medium, strong, max; any case), for <paramref name="concept"/>.
    /// </summary>
    public static SafetyGuidance FromPreset(string name, string concept)
    {
        if (string.IsNullOrWhiteSpace(concept)) throw new ArgumentException("the SLD concept is empty: name the concept to steer away from");
        var key = name.Trim().ToLowerInvariant();
        // (warm-up steps, guidance scale, threshold, momentum scale, momentum beta), diffusers' SafetyConfig.
        var (warmup, scale, threshold, momentum, beta) = key switch
        {
            "weak" => (15, 20.0, 0.0, 0.0, 0.0),
            "medium" => (10, 1000.0, 0.01, 0.3, 0.4),
            "strong" => (7, 2000.0, 0.025, 0.5, 0.7),
            "max" => (0, 5000.0, 1.0, 0.5, 0.7),
            _ => throw new ArgumentException($"unknown SLD preset '{name}': expected one of {string.Join(", ", PresetNames)}"),
        };
        return new SafetyGuidance
        {
            Concept = concept, WarmupSteps = warmup, GuidanceScale = scale, Threshold = threshold, MomentumScale = momentum,
            MomentumBeta = beta, Preset = key,
        };
    }

    /// <summary>Checks the values a user may have given by hand; names the parameter that is wrong.</summary>
    public SafetyGuidance Validated()
    {
        if (string.IsNullOrWhiteSpace(Concept)) throw new ArgumentException("the SLD concept is empty: name the concept to steer away from");
        if (WarmupSteps < 0) throw new ArgumentException($"SLD warm-up steps must be at least 0, got {WarmupSteps}");
        if (!double.IsFinite(GuidanceScale) || GuidanceScale < 0) throw new ArgumentException($"SLD guidance scale must be a finite number of at least 0, got {GuidanceScale}");
        if (!double.IsFinite(Threshold)) throw new ArgumentException($"SLD threshold must be a finite number, got {Threshold}");
        if (!double.IsFinite(MomentumScale) || MomentumScale < 0) throw new ArgumentException($"SLD momentum scale must be a finite number of at least 0, got {MomentumScale}");
        if (!double.IsFinite(MomentumBeta) || MomentumBeta < 0 || MomentumBeta > 1) throw new ArgumentException($"SLD momentum beta must be between 0 and 1, got {MomentumBeta}");
        return this;
    }

    /// <summary>The preset's name, or "custom", with every value: for reports and image parameters.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Preset ?? "custom"} (warm-up {WarmupSteps}, scale {GuidanceScale}, threshold {Threshold}, momentum {MomentumScale}, beta {MomentumBeta})");
}
