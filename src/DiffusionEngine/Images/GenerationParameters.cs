using System.Globalization;
using DiffusionEngine.StableDiffusion;
using Newtonsoft.Json;

namespace DiffusionEngine.Images;

/// <summary>Everything needed to reproduce one generated image; stored in its PNG.</summary>
public sealed record GenerationParameters
{
    public required string Prompt { get; init; }
    public string NegativePrompt { get; init; } = "";
    public required int Steps { get; init; }
    public string Sampler { get; init; } = "DDIM";
    public required double Guidance { get; init; }
    public required long Seed { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    /// <summary>Fingerprint of the base weights (hex); the A1111 "Model hash" is its first 10 characters.</summary>
    public required string ModelFingerprint { get; init; }
    public string Model { get; init; } = "";
    public string Device { get; init; } = "cpu";
    public double Eta { get; init; }
    /// <summary>Weight edits in effect (e.g. an ESD delta's stamp and concepts); empty for the base model.</summary>
    public IReadOnlyList<string> Edits { get; init; } = [];
    /// <summary>Safe Latent Diffusion's concept and settings when it steered the sampling; null: none.</summary>
    public SafetyGuidance? Safety { get; init; }

    public string ModelHash => ModelFingerprint.Length >= 10 ? ModelFingerprint[..10] : ModelFingerprint;

    /// <summary>The A1111 "parameters" text: prompt, negative prompt line, then "Key: value" pairs.</summary>
    public string ToA1111()
    {
        var c = CultureInfo.InvariantCulture;
        var lines = new List<string> { Prompt };
        if (NegativePrompt.Length > 0) lines.Add($"Negative prompt: {NegativePrompt}");
        lines.Add(string.Join(", ",
            $"Steps: {Steps}", $"Sampler: {Sampler}", string.Create(c, $"CFG scale: {Guidance}"), $"Seed: {Seed}",
            $"Size: {Width}x{Height}", $"Model hash: {ModelHash}", $"Model: {Model}")
            // Values with commas are quoted, as A1111 quotes them (a JSON string).
            + (Safety is { } s ? string.Create(c, $", SLD concept: {JsonConvert.ToString(s.Concept)}, SLD: {JsonConvert.ToString(s.Describe())}") : ""));
        return string.Join("\n", lines);
    }
}
