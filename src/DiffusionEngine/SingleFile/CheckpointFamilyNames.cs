namespace DiffusionEngine.SingleFile;

/// <summary>The short names reports and JSON use for a family.</summary>
internal static class CheckpointFamilyNames
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
