using DiffusionEngine.Safetensors;
using DiffusionEngine.SingleFile;
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
            if (!IsFinite(target)) throw new ModelLoadException($"{file.Path}: tensor '{fileName}' holds NaN or infinite values");
        }
        return report;
    }

    /// <summary>
    /// Checks a module against one component of a single-file checkpoint whose tensors <paramref name="rules"/> name
    /// (<see cref="ComponentMapping"/>); nothing is copied. The report names the file's keys.
    /// </summary>
    internal static LoadReport Check(nn.Module module, SafetensorsFile file, ComponentKeyRules rules) =>
        ComponentMapping.Plan(rules, file, TargetTensor.Of(module)).Report;

    /// <summary>
    /// Loads one component of a single-file checkpoint into a module, each tensor made from its source while it is
    /// copied (no converted copy of the file, no second copy of the model). The guarantees of the name-for-name load:
    /// every tensor is checked first and nothing is copied unless all are present and fit (throws
    /// <see cref="ModelLoadException"/> naming what is missing, unexpected or mismatched), and a tensor holding NaN or
    /// infinite values refuses the model by name.
    /// </summary>
    internal static LoadReport Load(nn.Module module, SafetensorsFile file, ComponentKeyRules rules)
    {
        var state = module.state_dict();
        var mapping = ComponentMapping.Plan(rules, file, state.ToDictionary(kv => kv.Key, kv => new TargetTensor(kv.Value.shape, kv.Value.dtype)));
        if (!mapping.Report.IsClean) throw new ModelLoadException($"{file.Path}: {mapping.Report.Describe()}");
        using var noGrad = no_grad();
        foreach (var (name, target) in state)
        {
            mapping.CopyInto(name, target);
            if (!IsFinite(target))
                throw new ModelLoadException($"{file.Path}: tensor '{mapping.Sources[name].Key}' ({rules.Component} {name}) holds NaN or infinite values");
        }
        return mapping.Report;
    }

    private static bool IsFinite(Tensor t)
    {
        if (!t.is_floating_point()) return true;
        using var finite = isfinite(t);
        using var all = finite.all();
        return all.item<bool>();
    }

    /// <summary>Whether a file tensor of dtype <paramref name="from"/> may be loaded into one of <paramref name="to"/> (floating into floating, integer into integer).</summary>
    internal static bool IsConvertible(ScalarType from, ScalarType to) =>
        IsFloating(from) == IsFloating(to);

    private static bool IsFloating(ScalarType t) =>
        t is ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64;
}
