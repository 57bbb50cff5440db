using System.Globalization;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using EsdPlugin.Training;
using Host.Abstractions;

namespace EsdPlugin.Deltas;

/// <summary>
/// The delta file: a safetensors file holding only the trained U-Net tensors under their diffusers names, in
/// the base's dtype, with metadata saying what it is (format version, concepts, method, hyper-parameters, the
/// fingerprint of the original values of exactly the tensors it replaces, seed, final loss, plugin version,
/// creation time).
/// </summary>
internal static class DeltaFile
{
    public const string Format = "esd-delta";
    public const int FormatVersion = 1;

    /// <summary>Writes a new delta (refusing, with an IOException, when the file exists), signed by <paramref name="signer"/>.</summary>
    public static void Write(ITensorFiles files, DeltaSigner signer, string path, string name, EsdSettings settings, EsdResult result, string dtype, string family)
    {
        var metadata = settings.ToMetadata();
        metadata["format"] = Format;
        metadata["format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture);
        metadata["name"] = name;
        metadata["concepts"] = JsonConvert.SerializeObject(settings.Concepts);
        metadata["base_fingerprint"] = result.BaseFingerprint;
        metadata["base_dtype"] = dtype;
        metadata["family"] = family;
        metadata["final_loss"] = result.FinalLoss.ToString("R", CultureInfo.InvariantCulture);
        metadata["plugin_version"] = PluginInfo.Version;
        metadata["created"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        metadata[DeltaSigner.Field] = signer.Sign(metadata, result.Trained);
        files.WriteNew(path, result.Trained, metadata);
    }

    /// <summary>Reads a delta's header (not its tensors) and hashes the file. Errors name the file and field.</summary>
    public static DeltaInfo Inspect(ITensorFiles files, string path)
    {
        var header = files.ReadHeader(path);
        IReadOnlyDictionary<string, long[]> tensors = header.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
        return FromMetadata(path, header.Metadata, Stamp(path), () => tensors);
    }

    /// <summary>
    /// A delta's description from its metadata (as read from the file or kept by the store's index); the tensor list
    /// comes from <paramref name="tensors"/> when first needed. Errors name the file and field.
    /// </summary>
    public static DeltaInfo FromMetadata(string path, IReadOnlyDictionary<string, string> m, string stamp, Func<IReadOnlyDictionary<string, long[]>> tensors)
    {
        if (!m.TryGetValue("format", out var format) || format != Format)
            return new DeltaInfo(path, System.IO.Path.GetFileNameWithoutExtension(path), [], null, null, m, stamp, tensors);

        if (!m.TryGetValue("format_version", out var v) || !int.TryParse(v, CultureInfo.InvariantCulture, out var version) || version > FormatVersion)
            throw new InvalidDataException($"{path}: metadata 'format_version' is '{v}'; this plugin reads version {FormatVersion} or older");
        string Required(string field) => m.TryGetValue(field, out var value) && value.Length > 0 ? value
            : throw new InvalidDataException($"{path}: metadata field '{field}' is missing");
        List<string>? concepts = null;
        try
        {
            if (JToken.Parse(Required("concepts")) is JArray items && items.All(i => i.Type == JTokenType.String))
                concepts = items.Select(i => (string)i!).ToList();
        }
        catch (JsonException) { }
        if (concepts is null) throw new InvalidDataException($"{path}: metadata field 'concepts' must be a JSON array of strings");
        return new DeltaInfo(path, Required("name"), concepts, Required("method"), Required("base_fingerprint"), m, stamp, tensors);
    }

    /// <summary>The stamp a loaded delta leaves on the model: "esd:" and the first 16 hex digits of the file's SHA-256.</summary>
    public static string Stamp(string path) => "esd:" + FileHash.Sha256(path)[..16];
}
