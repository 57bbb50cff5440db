using SampleHost.Engine.Safetensors;
using static TorchSharp.torch;

namespace SampleHost.Tests.Engine.StableDiffusion;

/// <summary>The reference fixture computed by the Python diffusers/transformers code (shared/fixtures/reference/alpha).</summary>
internal static class AlphaFixture
{
    public static string Folder => Path.Combine(RepoPaths.Shared, "fixtures", "reference", "alpha");
    public static string Inputs => Path.Combine(Folder, "probe", "inputs.safetensors");
    public static string Outputs => Path.Combine(Folder, "probe", "outputs.safetensors");

    /// <summary>||a - b|| / ||b|| in float64.</summary>
    public static double RelativeError(Tensor actual, Tensor reference)
    {
        using var a = actual.to(float64);
        using var b = reference.to(float64);
        using var diff = a - b;
        return diff.norm().item<double>() / b.norm().item<double>();
    }

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
