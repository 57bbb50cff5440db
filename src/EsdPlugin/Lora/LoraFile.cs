using System.Globalization;
using Host.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace EsdPlugin.Lora;

/// <summary>
/// A LoRA file for the U-Net (A1111 / ComfyUI / kohya forms: <c>diff</c>, <c>diff_b</c>, <c>lora_down</c> + <c>lora_up</c>
/// (+ <c>alpha</c>)) read as differences by U-Net parameter, to be applied as a patch at a strength. Anything else it
/// holds (text-encoder layers, other network types, layers this model lacks) is refused, named.
/// </summary>
internal sealed class LoraFile
{
    /// <summary>Metadata our exports write: what the edit erased, and the base it was made from.</summary>
    public const string ConceptsField = "esd_concepts", BaseField = "esd_base_fingerprint", FamilyField = "esd_family";

    private LoraFile(string path, string stamp, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        Stamp = stamp;
        Metadata = metadata;
    }

    public string Path { get; }
    public string Name => System.IO.Path.GetFileNameWithoutExtension(Path);
    /// <summary>"lora:" and the first 16 hex digits of the file's SHA-256.</summary>
    public string Stamp { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public IReadOnlyList<string> Concepts => Metadata.TryGetValue(ConceptsField, out var c) && c.Length > 0
        ? c.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [];

    /// <summary>Whether a safetensors file is a LoRA (its tensors are named lora_…), judged from its header.</summary>
    public static bool IsLora(ITensorFiles files, string path) =>
        files.ReadHeader(path).Tensors.Keys.Any(k => k.StartsWith("lora_", StringComparison.Ordinal));

    public static LoraFile Open(ITensorFiles files, string path)
    {
        var header = files.ReadHeader(path);
        return new LoraFile(System.IO.Path.GetFullPath(path), "lora:" + FileHash.Sha256(path)[..16], header.Metadata);
    }

    /// <summary>
    /// The file's differences (float32, CPU) by U-Net parameter name, checked against the model: family and base when
    /// the file records them, every name a layer of the model, every shape the layer's.
    /// </summary>
    public Dictionary<string, Tensor> Differences(ILoadedModel model, ITensorFiles files)
    {
        if (Metadata.TryGetValue(FamilyField, out var family) && family != model.Family)
            throw new InvalidDataException($"{Path} was made for a model of family '{family}'; the live model ({model.Folder}) is '{model.Family}'");
        if (Metadata.TryGetValue("ss_base_model_version", out var version) && version.StartsWith("sdxl", StringComparison.Ordinal) != (model.Family == "sdxl"))
            throw new InvalidDataException($"{Path} is a LoRA for {version}; the live model ({model.Folder}) is '{model.Family}'");
        if (Metadata.TryGetValue(BaseField, out var fingerprint) && fingerprint != model.Fingerprint)
            throw new InvalidDataException($"{Path} was made for another base model: its base fingerprint is {Short(fingerprint)}…, the live model ({model.Folder}) has {Short(model.Fingerprint)}…");

        var names = new LoraNames(model);
        var shapes = model.Unet.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape, StringComparer.Ordinal);
        using var contents = files.Read(Path);
        var problems = new List<string>();
        var layers = new SortedDictionary<string, Dictionary<string, Tensor>>(StringComparer.Ordinal);
        foreach (var (key, value) in contents.Tensors)
        {
            int dot = key.IndexOf('.');
            var (layer, part) = dot < 0 ? (key, "") : (key[..dot], key[(dot + 1)..]);
            if (!layer.StartsWith(LoraNames.Prefix, StringComparison.Ordinal))
            {
                problems.Add($"'{key}' is not a U-Net layer (this studio patches the U-Net only{(layer.StartsWith("lora_te", StringComparison.Ordinal) ? "; text-encoder layers are not applied" : "")})");
                continue;
            }
            if (part is not ("diff" or "diff_b" or "lora_down.weight" or "lora_up.weight" or "alpha"))
            {
                problems.Add($"'{key}': '{part}' is not a LoRA part this studio reads (diff, diff_b, lora_down.weight, lora_up.weight, alpha)");
                continue;
            }
            if (!layers.TryGetValue(layer, out var parts)) layers[layer] = parts = new(StringComparer.Ordinal);
            parts[part] = value;
        }

        var differences = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (layer, parts) in layers)
            {
                if (names.LayerOf(layer) is not { } target)
                {
                    problems.Add($"'{layer}' names no layer of this model's U-Net");
                    continue;
                }
                if (parts.TryGetValue("diff_b", out var bias))
                    Add(differences, problems, shapes, target + ".bias", layer + ".diff_b", bias.to(ScalarType.Float32, copy: true));
                bool pair = parts.ContainsKey("lora_down.weight") || parts.ContainsKey("lora_up.weight");
                if (pair && parts.ContainsKey("diff"))
                    problems.Add($"'{layer}' holds both a diff and a LoRA pair");
                else if (pair)
                {
                    if (!parts.TryGetValue("lora_down.weight", out var down) || !parts.TryGetValue("lora_up.weight", out var up))
                    {
                        problems.Add($"'{layer}' has only one of lora_down.weight and lora_up.weight");
                        continue;
                    }
                    if (!shapes.TryGetValue(target + ".weight", out var shape))
                    {
                        problems.Add($"'{layer}': the layer has no weight");
                        continue;
                    }
                    long rank = down.shape[0];
                    if (up.dim() < 2 || up.shape[1] != rank || up.shape[0] != shape[0] || down.numel() != rank * shape.Skip(1).Aggregate(1L, (a, b) => a * b))
                    {
                        problems.Add($"'{layer}': lora_up {Format(up.shape)} and lora_down {Format(down.shape)} do not make the layer's weight {Format(shape)}");
                        continue;
                    }
                    double scale = parts.TryGetValue("alpha", out var alpha) ? alpha.to(ScalarType.Float64).item<double>() / rank : 1.0;
                    using var scope = NewDisposeScope();
                    using var factor = scale.ToScalar();
                    var product = up.to(ScalarType.Float32).flatten(1).matmul(down.to(ScalarType.Float32).flatten(1)).mul(factor).reshape(shape);
                    differences[target + ".weight"] = product.MoveToOuterDisposeScope();
                }
                else if (parts.TryGetValue("diff", out var diff))
                    Add(differences, problems, shapes, target + ".weight", layer + ".diff", diff.to(ScalarType.Float32, copy: true));
            }
            if (problems.Count > 0)
                throw new InvalidDataException($"{Path} cannot be applied to this model: {string.Join("; ", problems.Take(10))}{(problems.Count > 10 ? $"; and {problems.Count - 10} more" : "")}");
            if (differences.Count == 0) throw new InvalidDataException($"{Path} holds no U-Net differences");
            return differences;
        }
        catch
        {
            foreach (var t in differences.Values) t.Dispose();
            throw;
        }
    }

    private static void Add(Dictionary<string, Tensor> differences, List<string> problems, Dictionary<string, long[]> shapes, string parameter, string key, Tensor value)
    {
        if (!shapes.TryGetValue(parameter, out var shape))
        {
            problems.Add($"'{key}': the model has no parameter '{parameter}'");
            value.Dispose();
        }
        else if (!value.shape.SequenceEqual(shape))
        {
            problems.Add($"'{key}' has shape {Format(value.shape)}; the model's '{parameter}' is {Format(shape)}");
            value.Dispose();
        }
        else differences[parameter] = value;
    }

    private static string Short(string fingerprint) => fingerprint.Length > 16 ? fingerprint[..16] : fingerprint;

    private static string Format(long[] shape) => "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
}
