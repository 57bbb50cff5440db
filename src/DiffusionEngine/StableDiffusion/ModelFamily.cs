namespace DiffusionEngine.StableDiffusion;

/// <summary>Which kind of Stable Diffusion model: what it is conditioned on and how its files are laid out.</summary>
public enum ModelFamily
{
    /// <summary>SD 1.x: one CLIP text encoder, its last hidden states.</summary>
    StableDiffusion1,
    /// <summary>SDXL: two text encoders' penultimate states, pooled embeddings and micro-conditioning time ids.</summary>
    StableDiffusionXL,
}

public static class ModelFamilies
{
    /// <summary>The family's short name, as the plugin contract and delta files record it: "sd1" or "sdxl".</summary>
    public static string Name(this ModelFamily family) => family == ModelFamily.StableDiffusionXL ? "sdxl" : "sd1";
}
