using DiffusionEngine.Safetensors;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionEngine.Loading;

/// <summary>
/// Loads safetensors weights into a module built from its config, name for name. The whole file is
/// checked against the module's state dict first (missing, unexpected, shape mismatches) and nothing is
/// copied unless it matches; then each tensor is copied once from the memory mapping into its parameter.
/// </summary>
public static class WeightLoader
{
    /// <param name="rename">Maps a file's tensor name to the module's (e.g. legacy VAE attention names); identity if null.</param>
    /// <param name="optional">Names in the file the module may lack, ignored (e.g. CLIP's position_ids buffer).</param>
    public static LoadReport Check(string component, nn.Module module, SafetensorsFile file,
        Func<string, string>? rename = null, IReadOnlySet<string>? optional = null)
    {
        var state = module.state_dict();
        var byModuleName = new Dictionary<string, string>();
        var unexpected = new List<string>();
        var mismatched = new List<string>();
        foreach (var (fileName, entry) in file.Entries)
        {
            var name = rename?.Invoke(fileName) ?? fileName;
            if (!state.TryGetValue(name, out var target))
            {
                if (optional?.Contains(name) != true) unexpected.Add(fileName);
                continue;
            }
            byModuleName[name] = fileName;
            if (!target.shape.SequenceEqual(entry.Shape))
                mismatched.Add($"{fileName} (file [{string.Join(", ", entry.Shape)}], model [{string.Join(", ", target.shape)}])");
            else if (!IsConvertible(entry.Dtype, target.dtype))
                mismatched.Add($"{fileName} (file dtype {entry.DtypeName}, model {target.dtype})");
        }
        var missing = state.Keys.Where(k => !byModuleName.ContainsKey(k) && optional?.Contains(k) != true).ToList();
        missing.Sort(StringComparer.Ordinal);
        unexpected.Sort(StringComparer.Ordinal);
        return new LoadReport(component, missing, unexpected, mismatched);
    }

    /// <summary>
    /// Checks, then copies every tensor into the module. Throws <see cref="ModelLoadException"/> naming what does not
    /// match, or a tensor holding NaN or infinite values.
    /// </summary>
    public static LoadReport Load(string component, nn.Module module, SafetensorsFile file,
        Func<string, string>? rename = null, IReadOnlySet<string>? optional = null)
    {
        var report = Check(component, module, file, rename, optional);
        if (!report.IsClean) throw new ModelLoadException($"{file.Path}: {report.Describe()}");
        var state = module.state_dict();
        using var noGrad = no_grad();
        foreach (var fileName in file.Entries.Keys)
        {
            var name = rename?.Invoke(fileName) ?? fileName;
            if (!state.TryGetValue(name, out var target)) continue;
            file.CopyInto(fileName, target);
            // A NaN or infinite weight makes every image it touches garbage: refuse the model, naming the tensor.
            if (target.is_floating_point() && !isfinite(target).all().item<bool>())
                throw new ModelLoadException($"{file.Path}: tensor '{fileName}' holds NaN or infinite values");
        }
        return report;
    }

    private static bool IsConvertible(ScalarType from, ScalarType to) =>
        IsFloating(from) == IsFloating(to);

    private static bool IsFloating(ScalarType t) =>
        t is ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64;
}
