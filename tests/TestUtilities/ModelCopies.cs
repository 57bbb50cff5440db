using Newtonsoft.Json.Linq;

namespace TestUtilities;

/// <summary>Writable copies of model folders, e.g. with ESD defaults short enough for a test's safe checkpoints.</summary>
public static class ModelCopies
{
    /// <summary>
    /// A copy of the model folder <paramref name="source"/> (its probe/ left out) whose esd_defaults.json asks for
    /// <paramref name="iterations"/> per concept everywhere (top level and per method; created when absent), so that a
    /// test's short runs are full-length safe checkpoints for it.
    /// </summary>
    public static TempFolder WithEsdIterations(string source, int iterations)
    {
        var tmp = new TempFolder();
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(source, file);
            if (rel.StartsWith("probe", StringComparison.Ordinal)) continue;
            File.Copy(file, tmp.File(rel));
        }
        var defaultsPath = Path.Combine(tmp.Path, "esd_defaults.json");
        var defaults = File.Exists(defaultsPath) ? JObject.Parse(File.ReadAllText(defaultsPath)) : new JObject();
        foreach (var field in defaults.Descendants().OfType<JProperty>().Where(p => p.Name == "iterations").ToList()) field.Value = iterations;
        defaults["iterations"] = iterations;
        File.WriteAllText(defaultsPath, defaults.ToString());
        return tmp;
    }
}
