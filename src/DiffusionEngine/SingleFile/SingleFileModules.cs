using DiffusionEngine.Loading;
using static TorchSharp.torch;

namespace DiffusionEngine.SingleFile;

/// <summary>
/// Loads every component of one single-file checkpoint into the module built for it, with the whole file checked first:
/// each component's tensors (through its key rules) and the tensors outside every component. Nothing is copied unless
/// all of it fits, so a failed load leaves every module as it was built.
/// </summary>
internal static class SingleFileModules
{
    /// <param name="modules">One module per component of <paramref name="layout"/>, by diffusers component name.</param>
    /// <param name="hint">Appended to the error, e.g. which configs the file was checked against.</param>
    /// <returns>One report per component, in the layout's order.</returns>
    public static IReadOnlyList<LoadReport> Load(SingleFileCheckpoint checkpoint, SingleFileLayout layout,
        IReadOnlyDictionary<string, nn.Module> modules, string? hint = null)
    {
        var problems = Check(checkpoint, layout, modules);
        if (problems.Count > 0)
            throw new ModelLoadException($"{checkpoint.Path}: {string.Join("; ", problems.Select(r => r.Describe()))}{(hint is null ? "" : ". " + hint)}");
        return layout.Components.Select(rules => WeightLoader.Load(modules[rules.Component], checkpoint.File, rules)).ToList();
    }

    /// <summary>The reports that are not clean: per component, and one named "checkpoint" for tensors outside every component.</summary>
    public static IReadOnlyList<LoadReport> Check(SingleFileCheckpoint checkpoint, SingleFileLayout layout, IReadOnlyDictionary<string, nn.Module> modules)
    {
        if (checkpoint.Family != layout.Family)
            throw new ArgumentException($"{checkpoint.Path}: an {checkpoint.Family.Title()} checkpoint, checked against the {layout.Family.Title()} layout", nameof(layout));
        var absent = layout.Components.Select(c => c.Component).Where(c => !modules.ContainsKey(c)).ToList();
        var extra = modules.Keys.Where(k => layout.Components.All(c => c.Component != k)).ToList();
        if (absent.Count > 0 || extra.Count > 0)
            throw new ArgumentException($"a {layout.Family.Title()} single file needs one module per component ({string.Join(", ", layout.Components.Select(c => c.Component))}); " +
                $"{(absent.Count > 0 ? "missing " + string.Join(", ", absent) : "")}{(absent.Count > 0 && extra.Count > 0 ? "; " : "")}{(extra.Count > 0 ? "not a component: " + string.Join(", ", extra) : "")}", nameof(modules));
        var problems = layout.Components.Select(rules => WeightLoader.Check(modules[rules.Component], checkpoint.File, rules)).Where(r => !r.IsClean).ToList();
        var unclaimed = layout.Unclaimed(checkpoint.File);
        if (unclaimed.Count > 0) problems.Add(new LoadReport("checkpoint", [], unclaimed, []));
        return problems;
    }
}
