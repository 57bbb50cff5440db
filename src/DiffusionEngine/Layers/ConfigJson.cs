using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace DiffusionEngine.Layers;

/// <summary>
/// Typed reads from a diffusers config.json. A key that is absent takes the caller's default (diffusers'
/// class default); an explicit null is only accepted where diffusers' parameter is optional. Every error
/// names the file and the field.
/// </summary>
public sealed class ConfigJson
{
    private readonly JObject _json;

    public string Source { get; }

    private ConfigJson(string source, JObject json)
    {
        Source = source;
        _json = json;
    }

    public static ConfigJson Load(string path)
    {
        if (!File.Exists(path)) throw new ModelConfigException($"{path}: no such config file");
        string text;
        try { text = File.ReadAllText(path); }
        catch (IOException e) { throw new ModelConfigException($"{path}: cannot read config ({e.Message})"); }
        return Parse(text, path);
    }

    public static ConfigJson Parse(string json, string source)
    {
        JToken token;
        try { token = JToken.Parse(json); }
        catch (JsonException e) { throw new ModelConfigException($"{source}: not valid JSON ({e.Message})"); }
        if (token is not JObject obj) throw new ModelConfigException($"{source}: expected a JSON object at the top level, found {token.Type}");
        return new ConfigJson(source, obj);
    }

    public ModelConfigException Error(string field, string message) => new($"{Source}: field '{field}' {message}");

    public bool Has(string field) => _json.ContainsKey(field);

    /// <summary>The key is present with an explicit null.</summary>
    public bool IsExplicitNull(string field) => Get(field) is { Type: JTokenType.Null };

    private JToken? Get(string field) => _json.TryGetValue(field, out var t) ? t : null;

    private static bool IsNull(JToken? t) => t is null || t.Type == JTokenType.Null;

    private string Show(string field) => Get(field)?.ToString(Formatting.None) ?? "(absent)";

    public int Int(string field, int @default) =>
        Get(field) is { } t ? AsInt(field, t) : @default;

    public int? NullableInt(string field, int? @default)
    {
        var t = Get(field);
        if (t is null) return @default;
        return IsNull(t) ? null : AsInt(field, t);
    }

    public double Double(string field, double @default)
    {
        var t = Get(field);
        if (t is null) return @default;
        if (t.Type is JTokenType.Integer or JTokenType.Float) return t.Value<double>();
        throw Error(field, $"must be a number, found {Show(field)}");
    }

    public bool Bool(string field, bool @default)
    {
        var t = Get(field);
        if (t is null) return @default;
        if (t.Type == JTokenType.Boolean) return t.Value<bool>();
        throw Error(field, $"must be true or false, found {Show(field)}");
    }

    public string String(string field, string @default) =>
        NullableString(field, @default) ?? throw Error(field, "must be a string, found null");

    public string? NullableString(string field, string? @default)
    {
        var t = Get(field);
        if (t is null) return @default;
        if (IsNull(t)) return null;
        if (t.Type == JTokenType.String) return t.Value<string>()!;
        throw Error(field, $"must be a string, found {Show(field)}");
    }

    public IReadOnlyList<string> StringList(string field, IReadOnlyList<string> @default)
    {
        var t = Get(field);
        if (t is null) return @default;
        if (t is JArray a && a.All(x => x.Type == JTokenType.String) && a.Count > 0)
            return a.Select(x => x.Value<string>()!).ToArray();
        throw Error(field, $"must be a non-empty list of strings, found {Show(field)}");
    }

    public IReadOnlyList<int> IntList(string field, IReadOnlyList<int> @default)
    {
        var t = Get(field);
        if (t is null) return @default;
        if (t is JArray a && a.Count > 0) return a.Select(x => AsInt(field, x)).ToArray();
        throw Error(field, $"must be a non-empty list of integers, found {Show(field)}");
    }

    /// <summary>diffusers' "int or one per block" fields: a single value is repeated for each of <paramref name="count"/> blocks.</summary>
    public IReadOnlyList<int> IntPerBlock(string field, int count, int @default)
    {
        var t = Get(field);
        if (t is null) return Enumerable.Repeat(@default, count).ToArray();
        if (t is JArray a)
        {
            if (a.Count != count) throw Error(field, $"lists {a.Count} values but the model has {count} down blocks");
            return a.Select(x => x is JArray
                ? throw Error(field, $"nested lists are not supported, found {Show(field)}")
                : AsInt(field, x)).ToArray();
        }
        return Enumerable.Repeat(AsInt(field, t), count).ToArray();
    }

    /// <summary>Rejects a field that enables a feature this engine does not build, unless absent or null.</summary>
    public void RequireNull(string field, string feature)
    {
        if (!IsNull(Get(field)))
            throw Error(field, $"is {Show(field)}: {feature} is not supported (expected null or absent)");
    }

    public void RequireString(string field, string expected, string feature)
    {
        var t = Get(field);
        if (t is null) return;
        if (t.Type != JTokenType.String || t.Value<string>() != expected)
            throw Error(field, $"is {Show(field)}: {feature} is not supported (expected \"{expected}\")");
    }

    public void RequireFalse(string field, string feature)
    {
        var t = Get(field);
        if (t is null || IsNull(t)) return; // diffusers reads null as false (SDXL's upcast_attention)
        bool allFalse = t.Type == JTokenType.Boolean ? !t.Value<bool>()
            : t is JArray a && a.All(x => x.Type == JTokenType.Boolean && !x.Value<bool>());
        if (!allFalse) throw Error(field, $"is {Show(field)}: {feature} is not supported (expected false)");
    }

    private int AsInt(string field, JToken t)
    {
        if (t.Type == JTokenType.Integer) return checked((int)t.Value<long>());
        if (t.Type == JTokenType.Float)
        {
            double d = t.Value<double>();
            if (d == Math.Floor(d) && Math.Abs(d) < int.MaxValue) return (int)d;
        }
        throw Error(field, $"must be an integer, found {t.ToString(Formatting.None)}");
    }
}
