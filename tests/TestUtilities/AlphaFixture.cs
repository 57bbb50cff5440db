using DiffusionEngine.Safetensors;
using static TorchSharp.torch;

namespace TestUtilities;

/// <summary>
/// The reference fixture alpha (tests/data/reference/alpha): a tiny SD 1.x pipeline with our random weights and the
/// outputs the Python diffusers/transformers code computed for them (its probe/README.md names every tensor).
/// </summary>
public static class AlphaFixture
{
    public static string Folder => Path.Combine(RepoPaths.TestData, "reference", "alpha");
    public static string Inputs => Path.Combine(Folder, "probe", "inputs.safetensors");
    public static string Outputs => Path.Combine(Folder, "probe", "outputs.safetensors");
    /// <summary>Final latents of diffusers' Safe Latent Diffusion pipeline per preset (probe/README.md, "SLD check").</summary>
    public static string SldOutputs => Path.Combine(Folder, "probe", "sld.safetensors");

    /// <summary>A writable copy of the fixture's model folder (for tests that damage it).</summary>
    public static TempFolder CopyModel()
    {
        var tmp = new TempFolder();
        foreach (var file in Directory.EnumerateFiles(Folder, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(Folder, file);
            if (rel.StartsWith("probe", StringComparison.Ordinal)) continue;
            File.Copy(file, tmp.File(rel));
        }
        return tmp;
    }

    public static Dictionary<string, Tensor> ReadAll(string path)
    {
        using var f = SafetensorsFile.Open(path);
        return f.Entries.Keys.ToDictionary(k => k, f.Read);
    }
}

/// <summary>
/// The reference fixture sdxl-alpha (tests/data/reference/sdxl-alpha): a tiny SDXL pipeline with our random weights and
/// the outputs the Python diffusers/transformers code computed (its probe/README.md names every tensor and loop).
/// </summary>
public static class SdxlAlphaFixture
{
    public static string Folder => Path.Combine(RepoPaths.TestData, "reference", "sdxl-alpha");
    public static string Inputs => Path.Combine(Folder, "probe", "inputs.safetensors");
    public static string Outputs => Path.Combine(Folder, "probe", "outputs.safetensors");
    /// <summary>Final latents of diffusers' Safe Latent Diffusion pipeline per preset (probe/README.md, "SLD check").</summary>
    public static string SldOutputs => Path.Combine(Folder, "probe", "sld.safetensors");
    public static readonly string[] Prompts = ["a photo of a cat", "a painting in the style of van gogh"];
}
