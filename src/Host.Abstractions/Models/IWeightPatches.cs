using static TorchSharp.torch;

namespace Host.Abstractions;

/// <summary>
/// Replaces named U-Net tensors in place (the same Parameter objects, values copied without gradient), keeping
/// a backup of each original the first time it is touched, so that <see cref="Restore"/> is exact.
/// Applying or restoring needs an exclusive lease.
/// </summary>
public interface IWeightPatches
{
    /// <summary>The stamp of the live patch (e.g. the patch file's hash), or null when the original weights are live.</summary>
    string? LiveStamp { get; }

    /// <summary>Names of the tensors the live patch replaced (empty when none).</summary>
    IReadOnlyCollection<string> PatchedNames { get; }

    /// <summary>
    /// Restores any earlier patch, then copies <paramref name="tensors"/> into the parameters of the same names.
    /// Names, shapes and dtypes are checked first: the patch applies whole or not at all
    /// (<see cref="WeightPatchException"/> names what does not fit).
    /// </summary>
    void Apply(IReadOnlyDictionary<string, Tensor> tensors, string stamp);

    /// <summary>
    /// Restores any earlier patch, then sets each named parameter to its original plus every part's contribution
    /// (<see cref="PatchForm"/>): <c>w0 + Σ strength · (v − w0)</c>, or <c>+ strength · d</c> for differences, computed in
    /// float32 and rounded once to the parameter's dtype. A lone full-weights part at strength 1 is copied as it is, and a
    /// part at strength 0 changes nothing, so both are bit for bit. Checked whole first, as <see cref="Apply(IReadOnlyDictionary{string, Tensor}, string)"/>;
    /// a strength must be finite with magnitude at most <see cref="PatchPart.MaxStrength"/>. Added in contract 2.2.
    /// </summary>
    void Apply(IReadOnlyList<PatchPart> parts, string stamp);

    /// <summary>Puts every original value back, bit for bit.</summary>
    void Restore();

    /// <summary>A copy of a parameter's original (unpatched) value, on the CPU.</summary>
    Tensor Original(string name);
}
