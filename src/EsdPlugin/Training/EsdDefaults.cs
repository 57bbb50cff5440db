using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace EsdPlugin.Training;

/// <summary>
/// Per-model defaults: <c>esd_defaults.json</c> in the model's folder (tuned for that model), else the family's: for
/// Stable Diffusion 1.x the paper's (ESD-x, 1000 iterations, lr 1e-5, eta 1, start guidance 3, 50 DDIM steps); for SDXL
/// the authors' esd_sdxl.py (ESD-x, 200 iterations, lr 2e-4 (1e-5 for the other methods), their negative_guidance 1.0,
/// i.e. eta 0, guidance 2, 50 steps, x_t from the frozen model, t the timestep x_t stopped at).
/// The file's top-level fields apply to every method; <c>per_method</c> holds fields that apply only when that
/// method is the one trained (ESD-x trains far fewer weights than ESD-u and wants another learning rate).
/// Default iterations are per concept: a run draws one concept per iteration, so a blocklist of N concepts
/// gets N times a single erase's iterations, and each concept as many draws as it would get alone. An
/// iteration count the user gives is the run's total.
/// </summary>
internal static class EsdDefaults
{
    public const string FileName = "esd_defaults.json";

    /// <summary>
    /// Defaults for <paramref name="concepts"/> on the model in <paramref name="modelFolder"/>, for
    /// <paramref name="method"/> (null: the file's method); errors name the file and field.
    /// </summary>
    public static EsdSettings For(string modelFolder, IReadOnlyList<string> concepts, EsdMethod? method = null, string family = "sd1")
    {
        var perConcept = PerConcept(modelFolder, concepts, method, family);
        return perConcept with { Iterations = checked(perConcept.Iterations * Math.Max(1, concepts.Count)) };
    }

    /// <summary>The family's defaults when the model folder has no defaults file.</summary>
    public static EsdSettings FamilyDefaults(IReadOnlyList<string> concepts, string family, EsdMethod? method = null) => family switch
    {
        "sdxl" => new EsdSettings
        {
            Concepts = concepts, Method = method ?? EsdMethod.EsdX, Iterations = 200, Eta = 0, StartGuidance = 2, DdimSteps = 50,
            LearningRate = (method ?? EsdMethod.EsdX) is EsdMethod.EsdX or EsdMethod.EsdXStrict ? 2e-4 : 1e-5,
            XtFrom = XtSource.Frozen, Pairing = TimestepPairing.Matched,
        },
        _ => method is { } m ? new EsdSettings { Concepts = concepts, Method = m } : new EsdSettings { Concepts = concepts },
    };

    private static string? ReadAnchor(string path, string prefix, JToken node) => node.Type switch
    {
        JTokenType.Null => null,
        // "" takes the concept's word out ("a striped star" against "a star"), for concepts no noun stands in for.
        JTokenType.String => ((string)node!).Trim(),
        _ => throw new InvalidDataException($"{path}: field '{prefix}anchor' must be a word, \"\" or null, got {node.ToString(Newtonsoft.Json.Formatting.None)}"),
    };

    private static EsdSettings PerConcept(string modelFolder, IReadOnlyList<string> concepts, EsdMethod? method, string family)
    {
        var paper = FamilyDefaults(concepts, family, method);
        var path = Path.Combine(modelFolder, FileName);
        if (!File.Exists(path)) return paper;
        JObject o;
        try { o = JToken.Parse(File.ReadAllText(path)) as JObject ?? throw new JsonException("not an object"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a JSON object ({e.Message})"); }

        var settings = Apply(path, "", o, paper);
        if (method is { } chosen) settings = settings with { Method = chosen };
        if (o["per_method"] is { } perMethod)
        {
            if (perMethod is not JObject byName) throw new InvalidDataException($"{path}: field 'per_method' must be an object keyed by method name");
            JToken? chosenFields = null;
            string chosenKey = settings.Method.Name();
            foreach (var (name, fields) in byName)
            {
                if (fields is null) continue;
                EsdMethod keyed;
                try { keyed = EsdMethods.Parse(name); }
                catch (ArgumentException) { throw new InvalidDataException($"{path}: field 'per_method' names unknown method '{name}' (known: {string.Join(", ", EsdMethods.Accepted)})"); }
                if (keyed != settings.Method) continue;
                if (chosenFields is not null) throw new InvalidDataException($"{path}: field 'per_method' names method {chosenKey} twice ('{name}')");
                (chosenFields, chosenKey) = (fields, name);
            }
            if (chosenFields is { } fieldsNode)
            {
                if (fieldsNode is not JObject overrides || overrides.ContainsKey("method"))
                    throw new InvalidDataException($"{path}: field 'per_method.{chosenKey}' must be an object of settings other than 'method'");
                settings = Apply(path, $"per_method.{chosenKey}.", overrides, settings);
            }
        }
        return settings;
    }

    /// <summary>The fields present in <paramref name="o"/> over <paramref name="current"/>.</summary>
    private static EsdSettings Apply(string path, string prefix, JObject o, EsdSettings current)
    {
        T Get<T>(string field, T fallback)
        {
            if (o[field] is not { } node || node.Type == JTokenType.Null) return fallback;
            // Strict: a whole number for an int, any number for a double, a string for a string.
            bool fits = (Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T)) switch
            {
                var t when t == typeof(int) => node.Type == JTokenType.Integer,
                var t when t == typeof(double) => node.Type is JTokenType.Integer or JTokenType.Float,
                var t when t == typeof(string) => node.Type == JTokenType.String,
                _ => false,
            };
            if (!fits) throw new InvalidDataException($"{path}: field '{prefix}{field}' must be a {Word(typeof(T))}");
            try { return node.ToObject<T>()!; }
            catch (Exception e) when (e is FormatException or OverflowException or JsonException)
            { throw new InvalidDataException($"{path}: field '{prefix}{field}' must be a {Word(typeof(T))}"); }
        }
        static string Word(Type t) => (Nullable.GetUnderlyingType(t) ?? t) == typeof(int) ? "whole number"
            : (Nullable.GetUnderlyingType(t) ?? t) == typeof(double) ? "number" : "string";
        string? Choice(string field, params string[] allowed)
        {
            var value = Get<string?>(field, null);
            if (value is not null && !allowed.Contains(value))
                throw new InvalidDataException($"{path}: field '{prefix}{field}' must be {string.Join(" or ", allowed.Select(a => $"\"{a}\""))}, got \"{value}\"");
            return value;
        }
        try
        {
            return current with
            {
                Method = Get<string?>("method", null) is { } m ? EsdMethods.Parse(m) : current.Method,
                Iterations = Get("iterations", current.Iterations),
                LearningRate = Get("learning_rate", current.LearningRate),
                Eta = Get("eta", current.Eta),
                StartGuidance = Get("start_guidance", current.StartGuidance),
                DdimSteps = Get("ddim_steps", current.DdimSteps),
                BatchSize = Get("batch_size", current.BatchSize),
                Pairing = Choice("timestep_mapping", [.. TimestepPairings.Names]) is { } tm ? TimestepPairings.Parse(tm) : current.Pairing,
                XtFrom = Choice("xt_from", [.. XtSources.Names]) is { } x ? XtSources.Parse(x) : current.XtFrom,
                PromptTemplates = o["prompt_templates"] is { } templates ? ReadTemplates(path, prefix, templates) : current.PromptTemplates,
                Preserve = o["preserve"] is { } preserve ? ReadStrings(path, prefix + "preserve", preserve) : current.Preserve,
                PreserveWeight = Get("preserve_weight", current.PreserveWeight),
                PoolSize = Get("pool_size", current.PoolSize),
                RetainPoolSize = Get("retain_pool_size", current.RetainPoolSize),
                PoolRefresh = Get("pool_refresh", current.PoolRefresh),
                XtRefresh = Get("xt_refresh", current.XtRefresh),
                Anchor = o["anchor"] is { } anchor ? ReadAnchor(path, prefix, anchor) : current.Anchor,
            };
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: field '{prefix}method': {e.Message}"); }
    }

    /// <summary>A JSON list of strings; <paramref name="what"/> completes the error ("a list of strings ...").</summary>
    private static IReadOnlyList<string> ReadStrings(string path, string field, JToken node, string what = "")
    {
        if (node is JArray items && items.All(n => n.Type == JTokenType.String)) return items.Select(n => (string)n!).ToList();
        throw new InvalidDataException($"{path}: field '{field}' must be a list of strings{what}");
    }

    private static IReadOnlyList<string> ReadTemplates(string path, string prefix, JToken node)
    {
        var templates = ReadStrings(path, prefix + "prompt_templates", node, " each containing {}");
        try { return ConceptPrompts.Validate(templates); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: field '{prefix}prompt_templates': {e.Message}"); }
    }
}
