using Host.Abstractions;
using TorchSharp;

namespace EsdPlugin.Deltas;

/// <summary>
/// Swaps a delta into a leased model in place through the host's weight patches (restoring any earlier edit
/// first), after checking that it was made for this base: its recorded fingerprint must equal the fingerprint
/// of the live model's original values of exactly the tensors it replaces.
/// </summary>
internal static class DeltaLoader
{
    /// <summary>
    /// The base fingerprint of <paramref name="names"/> in this model (originals, not any live patch), of the values as
    /// they are or, with <paramref name="asDtype"/>, as they would be in that dtype (a delta made on the same base loaded
    /// in another precision).
    /// </summary>
    public static string BaseFingerprint(ILoadedModel model, IEnumerable<string> names, TorchSharp.torch.ScalarType? asDtype = null)
    {
        var parameters = model.Unet.named_parameters().Select(p => p.name).ToHashSet();
        var originals = new List<(string, TorchSharp.torch.Tensor)>();
        try
        {
            foreach (var name in names)
            {
                if (!parameters.Contains(name)) throw new InvalidDataException($"'{name}' is not a parameter of this model's U-Net");
                var original = model.Patches.Original(name);
                if (asDtype is { } dtype && original.dtype != dtype)
                {
                    var cast = original.to(dtype);
                    original.Dispose();
                    original = cast;
                }
                originals.Add((name, original));
            }
            return TensorFingerprint.Of(originals);
        }
        finally
        {
            foreach (var (_, t) in originals) t.Dispose();
        }
    }

    /// <summary>Whether the delta was made for this model's base, in the model's dtype or its own (null: the file cannot tell).</summary>
    public static bool? MatchesBase(ILoadedModel model, DeltaInfo delta)
    {
        if (delta.BaseFingerprint is null) return null;
        if (delta.Tensors.Count == 0 || (delta.HasOurMetadata && delta.Family != model.Family)) return false;
        try { return BaseFingerprint(model, delta.Tensors.Keys) == delta.BaseFingerprint || SameBaseInItsDtype(model, delta); }
        catch (InvalidDataException) { return false; }
    }

    /// <summary>Made on this base loaded in the delta's own dtype (e.g. trained on the bf16 model, loaded into the float32 one).</summary>
    private static bool SameBaseInItsDtype(ILoadedModel model, DeltaInfo delta) =>
        DtypeOf(delta) is { } dtype && dtype != model.Dtype && BaseFingerprint(model, delta.Tensors.Keys, dtype) == delta.BaseFingerprint;

    private static TorchSharp.torch.ScalarType? DtypeOf(DeltaInfo delta) => delta.Metadata.GetValueOrDefault("base_dtype") switch
    {
        "F32" => TorchSharp.torch.ScalarType.Float32, "F16" => TorchSharp.torch.ScalarType.Float16, "BF16" => TorchSharp.torch.ScalarType.BFloat16, _ => null,
    };

    /// <summary>Loads the delta; returns warnings (e.g. an unverifiable base). Needs an exclusive lease.</summary>
    public static IReadOnlyList<string> Load(ILoadedModel model, ITensorFiles files, DeltaInfo delta) =>
        Load(model, files, Composition.Of([new EditPart(delta)]));

    /// <summary>
    /// Loads edits together, each at its strength (weights = base + Σ strength · (edit − base)), after checking each as a
    /// single delta is checked; the model then carries <see cref="Composition.Stamp"/>. Needs an exclusive lease.
    /// </summary>
    public static IReadOnlyList<string> Load(ILoadedModel model, ITensorFiles files, Composition composition)
    {
        var warnings = new List<string>();
        foreach (var part in composition.Parts)
            if (part.Delta is { } delta) warnings.AddRange(Verify(model, delta));
        var held = new List<IDisposable>();
        try
        {
            var patch = new List<PatchPart>();
            foreach (var part in composition.Parts)
            {
                if (part.Delta is { } delta)
                {
                    var contents = files.Read(delta.Path);
                    held.Add(contents);
                    patch.Add(new PatchPart(contents.Tensors, part.Strength));
                }
                else
                {
                    var differences = part.Lora!.Differences(model, files);
                    held.AddRange(differences.Values);
                    patch.Add(new PatchPart(differences, part.Strength, PatchForm.Difference));
                }
            }
            model.Patches.Apply(patch, composition.Stamp);
        }
        finally
        {
            foreach (var h in held) h.Dispose();
        }
        return warnings;
    }

    /// <summary>Checks that a delta may be applied to this model (family, base, file unchanged); returns warnings.</summary>
    private static List<string> Verify(ILoadedModel model, DeltaInfo delta)
    {
        var warnings = new List<string>();
        if (delta.Tensors.Count == 0)
            throw new InvalidDataException($"{delta.Path} holds no tensors: it is not an edit of any model");
        if (delta.HasOurMetadata && delta.Family != model.Family)
            throw new InvalidDataException($"{delta.Path} was made for a model of family '{delta.Family}'; the live model ({model.Folder}) is '{model.Family}'");
        if (delta.BaseFingerprint is null)
        {
            warnings.Add($"{delta.Path} has no ESD metadata (as the authors' scripts write): the base it was made for cannot be verified; loading it because every tensor name and shape matches");
        }
        else
        {
            string live;
            try { live = BaseFingerprint(model, delta.Tensors.Keys); }
            catch (InvalidDataException e) { throw new InvalidDataException($"{delta.Path}: {e.Message}"); }
            if (live != delta.BaseFingerprint)
            {
                if (SameBaseInItsDtype(model, delta))
                    warnings.Add($"{delta.Path} was made on this base loaded as {delta.Metadata["base_dtype"]}; the live model is {model.Dtype}: its values are converted");
                else
                    throw new InvalidDataException(
                        $"{delta.Path} was made for another base model: its base fingerprint is {delta.BaseFingerprint[..16]}…, " +
                        $"the live model ({model.Folder}) has {live[..16]}… for the same tensors" +
                        (DtypeOf(delta) is { } d && d != model.Dtype ? $" (also in {delta.Metadata["base_dtype"]}, the delta's dtype)" : ""));
            }
        }
        // The stamp the model will carry must be this file's: a file changed since it was described is refused.
        var stamp = DeltaFile.Stamp(delta.Path);
        if (stamp != delta.Stamp)
            throw new InvalidDataException($"{delta.Path} changed since it was read (stamp {stamp}, expected {delta.Stamp}); run the command again");
        return warnings;
    }
}
