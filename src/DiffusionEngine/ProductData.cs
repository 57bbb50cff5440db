namespace DiffusionEngine;

/// <summary>
/// The engine's product data (<c>Data/</c> in the source tree), which the build copies beside the assemblies of whatever
/// uses the engine as <c>data/</c>: the CLIP vocabulary and the published configs that single-file checkpoints lack.
/// </summary>
internal static class ProductData
{
    /// <summary>The <c>data/</c> folder beside this assembly (the application's folder when the assembly has no file).</summary>
    public static string Root { get; } = Path.Combine(AssemblyFolder(), "data");

    /// <summary>CLIP's BPE vocabulary (<c>vocab.json</c>, <c>merges.txt</c>), shared by SD 1.x and SDXL.</summary>
    public static string ClipBpe => Path.Combine(Root, "clip-bpe");

    /// <summary>Stable Diffusion 1.5's component configs in diffusers layout (no weights).</summary>
    public static string Sd15Configs => Path.Combine(Root, "sd15-configs");

    /// <summary>Stable Diffusion XL base 1.0's component configs in diffusers layout (no weights).</summary>
    public static string SdxlConfigs => Path.Combine(Root, "sdxl-configs");

    private static string AssemblyFolder()
    {
        var location = typeof(ProductData).Assembly.Location;
        return string.IsNullOrEmpty(location) ? AppContext.BaseDirectory : Path.GetDirectoryName(location)!;
    }
}
