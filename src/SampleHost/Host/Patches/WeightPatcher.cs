using System.Globalization;
using Host.Abstractions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SampleHost.Patches;

/// <summary>
/// In-place weight patches over a module's named parameters. Values are copied into the existing
/// <see cref="Parameter"/> objects (optimizers and other holders keep valid references), and the original
/// of each parameter is cloned to the CPU the first time a patch touches it, so that restoring is bit-exact.
/// Callers coordinate with readers through an exclusive model lease; the internal lock only keeps
/// concurrent Apply/Restore calls from interleaving with each other.
/// </summary>
public sealed class WeightPatcher(nn.Module module) : IWeightPatches, IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Tensor> _originals = new(StringComparer.Ordinal); // CPU clones, owned here
    private readonly List<string> _patched = [];
    private string? _liveStamp;
    private long _version;
    private bool _disposed;

    public string? LiveStamp { get { lock (_gate) return _liveStamp; } }

    public IReadOnlyCollection<string> PatchedNames { get { lock (_gate) return _patched.ToArray(); } }

    /// <summary>
    /// Counts changes of the live weights (each apply, each restore that put something back). Equal readings
    /// before and after some work mean the weights did not change in between.
    /// </summary>
    public long Version { get { lock (_gate) return _version; } }

    public void Apply(IReadOnlyDictionary<string, Tensor> tensors, string stamp)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        Apply([new PatchPart(tensors)], stamp);
    }

    public void Apply(IReadOnlyList<PatchPart> parts, string stamp)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentException.ThrowIfNullOrWhiteSpace(stamp);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var parameters = Parameters();
            // Everything is checked before anything changes, so that a patch that does not fit leaves the
            // live weights (original or an earlier patch) exactly as they were.
            Check(parts, parameters, stamp);

            RestoreLocked(parameters);
            var names = parts.SelectMany(p => p.Tensors.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            using var noGrad = no_grad();
            try
            {
                foreach (var name in names)
                {
                    var parameter = parameters[name];
                    if (!_originals.ContainsKey(name)) _originals[name] = CpuCopy(parameter).DetachFromDisposeScope();
                    _patched.Add(name);
                    using var scope = NewDisposeScope();
                    parameter.copy_(Composed(name, parts, _originals[name], parameter.device));
                }
            }
            catch
            {
                // A copy failed half way (e.g. out of memory): put back what was already replaced.
                RestoreLocked(parameters);
                throw;
            }
            _liveStamp = stamp;
            _version++;
        }
    }

    /// <summary>
    /// The value of one parameter under the parts: its original plus each part's contribution, in float32 on the
    /// parameter's device. A lone full-weights part at strength 1 is its own tensor, and no contribution at all is the
    /// original, so neither is rounded.
    /// </summary>
    internal static Tensor Composed(string name, IReadOnlyList<PatchPart> parts, Tensor original, Device device)
    {
        var contributing = parts.Where(p => p.Strength != 0 && p.Tensors.ContainsKey(name)).ToList();
        if (contributing.Count == 0) return original;
        if (contributing is [{ Form: PatchForm.Weights, Strength: 1 } only]) return only.Tensors[name];
        var w0 = original.to(ScalarType.Float32, device);
        var sum = w0.clone();
        foreach (var part in contributing)
        {
            var value = part.Tensors[name].to(ScalarType.Float32, device);
            var difference = part.Form == PatchForm.Weights ? value - w0 : value;
            using var strength = part.Strength.ToScalar();
            sum.add_(difference, strength);
        }
        return sum;
    }

    public void Restore()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            RestoreLocked(Parameters());
        }
    }

    /// <summary>
    /// The values <paramref name="parts"/> would give, without touching the live weights: every parameter they name and
    /// every parameter the live patch changed (back at its original), on the CPU; checked as <see cref="Apply(IReadOnlyList{PatchPart}, string)"/> checks.
    /// </summary>
    public Dictionary<string, Tensor> Values(IReadOnlyList<PatchPart> parts)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var parameters = Parameters();
            if (parts.Count > 0) Check(parts, parameters, "export");
            var names = parts.SelectMany(p => p.Tensors.Keys).Concat(_patched).Distinct(StringComparer.Ordinal).ToList();
            var values = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            using var noGrad = no_grad();
            foreach (var name in names)
            {
                using var scope = NewDisposeScope();
                var original = _originals.TryGetValue(name, out var o) ? o : CpuCopy(parameters[name]);
                var value = Composed(name, parts, original, CPU);
                values[name] = value.to(parameters[name].dtype, copy: true).MoveToOuterDisposeScope();
            }
            return values;
        }
    }

    public Tensor Original(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_originals.TryGetValue(name, out var original)) return original.clone();
            // Never patched: the live value is the original.
            if (Parameters().TryGetValue(name, out var parameter)) return CpuCopy(parameter);
            throw new ArgumentException($"the model has no parameter named '{name}'", nameof(name));
        }
    }

    /// <summary>Frees the backups. The live weights stay as they are.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var t in _originals.Values) t.Dispose();
            _originals.Clear();
            _patched.Clear();
            _liveStamp = null;
        }
    }

    private void RestoreLocked(Dictionary<string, Parameter> parameters)
    {
        if (_patched.Count > 0)
        {
            using var noGrad = no_grad();
            foreach (var name in _patched) parameters[name].copy_(_originals[name]);
            _version++;
        }
        _patched.Clear();
        _liveStamp = null;
    }

    // Looked up on every call rather than cached: a module's parameter objects may be re-registered by its owner.
    private Dictionary<string, Parameter> Parameters() =>
        module.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);

    private static void Check(IReadOnlyList<PatchPart> parts, Dictionary<string, Parameter> parameters, string stamp)
    {
        var problems = new List<string>();
        if (parts.Count == 0 || parts.All(p => p.Tensors is null || p.Tensors.Count == 0)) problems.Add("it holds no tensors");
        for (int i = 0; i < parts.Count; i++)
        {
            var part = parts[i];
            var where = parts.Count == 1 ? "" : $"part {i + 1}: ";
            if (!double.IsFinite(part.Strength) || Math.Abs(part.Strength) > PatchPart.MaxStrength)
                problems.Add($"{where}strength {part.Strength.ToString(CultureInfo.InvariantCulture)} is not a finite number within ±{PatchPart.MaxStrength.ToString(CultureInfo.InvariantCulture)}");
            if (!Enum.IsDefined(part.Form)) problems.Add($"{where}form {(int)part.Form} is not a PatchForm");
            Check(part.Tensors ?? new Dictionary<string, Tensor>(), parameters, where, problems);
        }
        if (problems.Count > 0)
            throw new WeightPatchException($"patch '{stamp}' does not fit the model, nothing was changed: {string.Join("; ", problems)}");
    }

    private static void Check(IReadOnlyDictionary<string, Tensor> tensors, Dictionary<string, Parameter> parameters, string where, List<string> problems)
    {
        foreach (var (name, tensor) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (tensor is null || tensor.IsInvalid)
                problems.Add($"{where}'{name}' is not a valid tensor");
            else if (!parameters.TryGetValue(name, out var parameter))
                problems.Add($"{where}'{name}' is not a parameter of the model");
            else if (!tensor.shape.SequenceEqual(parameter.shape))
                problems.Add($"{where}'{name}' has shape {Shape(tensor.shape)}, the model's is {Shape(parameter.shape)}");
            else if (!IsConvertible(tensor.dtype, parameter.dtype))
                problems.Add($"{where}'{name}' has dtype {tensor.dtype}, which does not convert to the model's {parameter.dtype}");
            else if (tensor.is_floating_point() && !AllFinite(tensor))
                problems.Add($"{where}'{name}' holds NaN or infinite values");
        }
    }

    private static bool AllFinite(Tensor t)
    {
        using var finite = isfinite(t);
        using var all = finite.all();
        return all.item<bool>();
    }

    private static bool IsConvertible(ScalarType from, ScalarType to) =>
        from == to || (is_floating_point(from) && is_floating_point(to));

    /// <summary>A new CPU tensor with the same values and dtype (a fresh copy even when already on the CPU).</summary>
    private static Tensor CpuCopy(Tensor t)
    {
        using var detached = t.detach();
        return detached.device_type == DeviceType.CPU ? detached.clone() : detached.cpu();
    }

    private static string Shape(long[] shape) =>
        "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
}
