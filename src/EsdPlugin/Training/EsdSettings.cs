using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EsdPlugin.Training;

/// <summary>
/// The hyper-parameters of one ESD run. <see cref="Eta"/> is the paper's negative-guidance strength: the target is
/// <c>e0 - Eta * (ep - e0)</c>. (The authors' later scripts use a knob eta' with target <c>ep - eta' (ep - e0)</c>;
/// eta' = Eta + 1, so their default 2.0 is the paper's 1.0.)
/// </summary>
internal sealed record EsdSettings
{
    public required IReadOnlyList<string> Concepts { get; init; }
    public EsdMethod Method { get; init; } = EsdMethod.EsdX;
    public int Iterations { get; init; } = 1000;
    public double LearningRate { get; init; } = 1e-5;
    public double Eta { get; init; } = 1.0;
    public double StartGuidance { get; init; } = 3.0;
    public int DdimSteps { get; init; } = 50;
    public XtSource XtFrom { get; init; } = XtSource.Trained;

    /// <summary>
    /// How the DDIM step count k maps to the training timestep. "paper": t drawn from [k/T*1000, (k+1)/T*1000),
    /// as the authors' code does (x_t then carries the noise of timestep ~1000 - k/T*1000); "matched": t is the
    /// timestep x_t was actually sampled to.
    /// </summary>
    public bool MatchedTimesteps { get; init; }
    public long Seed { get; init; }

    /// <summary>Hyper-parameters as strings, for a delta file's metadata.</summary>
    public Dictionary<string, string> ToMetadata() => new()
    {
        ["method"] = Method.Name(),
        ["iterations"] = Iterations.ToString(CultureInfo.InvariantCulture),
        ["learning_rate"] = LearningRate.ToString("R", CultureInfo.InvariantCulture),
        ["eta"] = Eta.ToString("R", CultureInfo.InvariantCulture),
        ["start_guidance"] = StartGuidance.ToString("R", CultureInfo.InvariantCulture),
        ["ddim_steps"] = DdimSteps.ToString(CultureInfo.InvariantCulture),
        ["xt_from"] = XtFrom == XtSource.Trained ? "trained" : "frozen",
        ["seed"] = Seed.ToString(CultureInfo.InvariantCulture),
        ["timestep_mapping"] = MatchedTimesteps ? "matched" : "paper",
    };
}

/// <summary>
/// Per-model defaults: <c>esd_defaults.json</c> in the model's folder (tuned for that model), else the paper's
/// defaults for Stable Diffusion 1.x (ESD-x, 1000 iterations, lr 1e-5, eta 1, start guidance 3, 50 DDIM steps).
/// </summary>
internal static class EsdDefaults
{
    public const string FileName = "esd_defaults.json";

    /// <summary>Defaults for concepts on the model in <paramref name="modelFolder"/>; errors name the file and field.</summary>
    public static EsdSettings For(string modelFolder, IReadOnlyList<string> concepts)
    {
        var paper = new EsdSettings { Concepts = concepts };
        var path = Path.Combine(modelFolder, FileName);
        if (!File.Exists(path)) return paper;
        JsonObject o;
        try { o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new JsonException("not an object"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a JSON object ({e.Message})"); }

        T Get<T>(string field, T fallback)
        {
            if (o[field] is not { } node) return fallback;
            try { return node.GetValue<T>(); }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            { throw new InvalidDataException($"{path}: field '{field}' must be a {typeof(T).Name.ToLowerInvariant()}"); }
        }
        try
        {
            return paper with
            {
                Method = o["method"] is { } m ? EsdMethods.Parse(m.GetValue<string>()) : paper.Method,
                Iterations = Get("iterations", paper.Iterations),
                LearningRate = Get("learning_rate", paper.LearningRate),
                Eta = Get("eta", paper.Eta),
                StartGuidance = Get("start_guidance", paper.StartGuidance),
                DdimSteps = Get("ddim_steps", paper.DdimSteps),
                MatchedTimesteps = Get("timestep_mapping", "paper") switch
                {
                    "paper" => false,
                    "matched" => true,
                    var other => throw new InvalidDataException($"{path}: field 'timestep_mapping' must be \"paper\" or \"matched\", got \"{other}\""),
                },
                XtFrom = Get("xt_from", "trained") switch
                {
                    "trained" => XtSource.Trained,
                    "frozen" => XtSource.Frozen,
                    var other => throw new InvalidDataException($"{path}: field 'xt_from' must be \"trained\" or \"frozen\", got \"{other}\""),
                },
            };
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: field 'method': {e.Message}"); }
    }
}
