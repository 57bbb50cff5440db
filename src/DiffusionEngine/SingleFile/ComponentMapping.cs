using DiffusionEngine.Loading;
using DiffusionEngine.Safetensors;
using static TorchSharp.torch;

namespace DiffusionEngine.SingleFile;

/// <summary>
/// One component of a single-file checkpoint planned against the tensors a module expects: for each target its source
/// in the file and transform, checked at the header level (present, shape after the transform, dtype kind), and the
/// file's tensors of the component that nothing reads. Built before anything is copied; copying goes straight from the
/// file's memory mapping into each target.
/// </summary>
internal sealed class ComponentMapping
{
    private ComponentMapping(ComponentKeyRules rules, SafetensorsFile file, IReadOnlyDictionary<string, TensorSource> sources,
        LoadReport report, IReadOnlyList<string> ignored)
    {
        Rules = rules;
        File = file;
        Sources = sources;
        Report = report;
        Ignored = ignored;
    }

    public ComponentKeyRules Rules { get; }
    public SafetensorsFile File { get; }

    /// <summary>The targets whose source is present and fits, by diffusers name.</summary>
    public IReadOnlyDictionary<string, TensorSource> Sources { get; }

    /// <summary>
    /// Missing: file keys a target needs that the file lacks ("key (for target)"), or targets no rule names. Unexpected:
    /// file keys of the component nothing reads. Mismatched: sources whose shape (after the transform) or dtype kind do not fit.
    /// </summary>
    public LoadReport Report { get; }

    /// <summary>The component's file keys nothing reads that the rules allow to be left alone (position_ids, logit_scale).</summary>
    public IReadOnlyList<string> Ignored { get; }

    public static ComponentMapping Plan(ComponentKeyRules rules, SafetensorsFile file, IReadOnlyDictionary<string, TargetTensor> targets)
    {
        var sources = new Dictionary<string, TensorSource>(StringComparer.Ordinal);
        var read = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        var mismatched = new List<string>();
        foreach (var (name, target) in targets.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var source = rules.SourceOf(name);
            if (source is null)
            {
                missing.Add($"{name} (no rule of the {rules.Component} layout names its source)");
                continue;
            }
            if (!file.Entries.TryGetValue(source.Key, out var entry))
            {
                missing.Add($"{source.Key} (for {name})");
                continue;
            }
            read.Add(source.Key);
            var shape = source.Transform.TargetShape(entry.Shape);
            if (shape is null || !shape.SequenceEqual(target.Shape))
            {
                var made = source.Transform is TensorTransform.Copy ? ""
                    : shape is null ? $", which {source.Transform.Describe()} cannot take" : $", {source.Transform.Describe()} gives {Format(shape)}";
                mismatched.Add($"{source.Key} (file {Format(entry.Shape)}{made}; model {name} {Format(target.Shape)})");
            }
            else if (!WeightLoader.IsConvertible(entry.Dtype, target.Dtype))
                mismatched.Add($"{source.Key} (file dtype {entry.DtypeName}; model {name} {target.Dtype})");
            else
                sources[name] = source;
        }
        var unexpected = new List<string>();
        var ignored = new List<string>();
        foreach (var key in file.Entries.Keys.Where(k => k.StartsWith(rules.Prefix, StringComparison.Ordinal) && !read.Contains(k)))
            (rules.IsIgnorable(key) ? ignored : unexpected).Add(key);
        unexpected.Sort(StringComparer.Ordinal);
        ignored.Sort(StringComparer.Ordinal);
        return new ComponentMapping(rules, file, sources, new LoadReport(rules.Component, missing, unexpected, mismatched), ignored);
    }

    /// <summary>Fills <paramref name="destination"/> (the target's shape; any dtype and device) with the target's values.</summary>
    public void CopyInto(string target, Tensor destination)
    {
        var source = SourceFor(target);
        source.Transform.CopyInto(File, source.Key, destination);
    }

    /// <summary>The target's values as a new CPU tensor of the file's dtype.</summary>
    public Tensor Read(string target)
    {
        var source = SourceFor(target);
        var entry = File.Entry(source.Key);
        var shape = source.Transform.TargetShape(entry.Shape)!;
        var t = empty(shape, entry.Dtype, CPU);
        try
        {
            source.Transform.CopyInto(File, source.Key, t);
            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    private TensorSource SourceFor(string target) =>
        Sources.TryGetValue(target, out var s) ? s
            : throw new ModelLoadException($"{File.Path}: {Rules.Component} tensor '{target}' has no usable source in the file ({Report.Describe()})");

    private static string Format(long[] shape) => $"[{string.Join(", ", shape)}]";
}
