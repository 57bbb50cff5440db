namespace TestUtilities;

/// <summary>
/// The single-file reference fixtures (tests/data/reference/*-single-file): the weights of a diffusers fixture folder
/// stored as one checkpoint in the original key layout, with keymap.tsv naming every tensor's diffusers source(s).
/// </summary>
public static class SingleFileFixtures
{
    private static string Reference => Path.Combine(RepoPaths.TestData, "reference");

    /// <summary>SD 1.x, LDM layout; the weights of <see cref="AlphaFixture.Folder"/>.</summary>
    public static string Alpha => Path.Combine(Reference, "alpha-single-file", "alpha.safetensors");

    public static string AlphaKeymap => Path.Combine(Reference, "alpha-single-file", "keymap.tsv");

    /// <summary>The tiny SDXL diffusers folder (configs and weights).</summary>
    public static string SdxlAlphaFolder => Path.Combine(Reference, "sdxl-alpha");

    /// <summary>SDXL, SGM layout; the weights of <see cref="SdxlAlphaFolder"/>.</summary>
    public static string SdxlAlpha => Path.Combine(Reference, "sdxl-alpha-single-file", "sdxl-alpha.safetensors");

    public static string SdxlAlphaKeymap => Path.Combine(Reference, "sdxl-alpha-single-file", "keymap.tsv");
}
