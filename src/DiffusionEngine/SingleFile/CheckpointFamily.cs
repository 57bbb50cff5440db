namespace DiffusionEngine.SingleFile;

/// <summary>The model families whose single-file checkpoints (original LDM / SGM key layout) this engine recognises.</summary>
public enum CheckpointFamily
{
    /// <summary>Stable Diffusion 1.x (CompVis LDM layout: <c>model.diffusion_model.</c>, <c>first_stage_model.</c>, <c>cond_stage_model.transformer.</c>).</summary>
    StableDiffusion1,

    /// <summary>Stable Diffusion XL base (SGM layout: <c>conditioner.embedders.0.transformer.</c> CLIP-L, <c>conditioner.embedders.1.model.</c> OpenCLIP bigG).</summary>
    StableDiffusionXL,
}

/// <summary>The short names reports and JSON use for a family.</summary>
public static class CheckpointFamilyNames
{
    public const string StableDiffusion1 = "sd1";
    public const string StableDiffusionXL = "sdxl";

    public static string Word(this CheckpointFamily family) => family switch
    {
        CheckpointFamily.StableDiffusion1 => StableDiffusion1,
        CheckpointFamily.StableDiffusionXL => StableDiffusionXL,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };

    /// <summary>For messages: "Stable Diffusion 1.x", "SDXL".</summary>
    public static string Title(this CheckpointFamily family) => family switch
    {
        CheckpointFamily.StableDiffusion1 => "Stable Diffusion 1.x",
        CheckpointFamily.StableDiffusionXL => "SDXL",
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };
}
