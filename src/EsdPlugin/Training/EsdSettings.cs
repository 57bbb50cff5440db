using System.Globalization;
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

    /// <summary>
    /// x_t samples per iteration (all at the same timestep, one concept prompt). The paper uses 1; a small model,
    /// whose every step is cheap, trains more steadily on a few.
    /// </summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>
    /// Prompts a concept is trained under, "{}" standing for the concept; one is drawn per iteration. The paper trains
    /// on the bare concept ("{}"); a small model whose captions never show a word alone may need it in a sentence.
    /// </summary>
    public IReadOnlyList<string> PromptTemplates { get; init; } = [ConceptPrompts.Bare];

    private readonly IReadOnlyList<string> _preserve = [];

    /// <summary>
    /// Concepts to keep as the original draws them. Not part of ESD: a retain term in the manner of later work
    /// (AdvUnlearn, 2024). Each iteration also draws one of these, samples its x_t with the frozen model and trains
    /// the prediction on it towards the frozen one's, weighted by <see cref="PreserveWeight"/>. Concepts being erased
    /// are left out, so a model's defaults can name its whole vocabulary. Empty (the default): plain ESD.
    /// </summary>
    public IReadOnlyList<string> Preserve
    {
        get => _preserve.Where(p => !Concepts.Any(c => Blocklist.ConceptNames.Same(c, p))).ToList();
        init => _preserve = value;
    }

    public double PreserveWeight { get; init; } = 1.0;

    /// <summary>Hyper-parameters as strings, for a delta file's metadata.</summary>
    public Dictionary<string, string> ToMetadata() => new()
    {
        ["method"] = Method.Name(),
        ["iterations"] = Iterations.ToString(CultureInfo.InvariantCulture),
        ["learning_rate"] = LearningRate.ToString("R", CultureInfo.InvariantCulture),
        ["eta"] = Eta.ToString("R", CultureInfo.InvariantCulture),
        ["start_guidance"] = StartGuidance.ToString("R", CultureInfo.InvariantCulture),
        ["ddim_steps"] = DdimSteps.ToString(CultureInfo.InvariantCulture),
        ["xt_from"] = XtFrom.Name(),
        ["seed"] = Seed.ToString(CultureInfo.InvariantCulture),
        ["timestep_mapping"] = MatchedTimesteps ? "matched" : "paper",
        ["batch_size"] = BatchSize.ToString(CultureInfo.InvariantCulture),
        ["prompt_templates"] = JsonList(PromptTemplates),
        ["preserve"] = JsonList(Preserve),
        ["preserve_weight"] = PreserveWeight.ToString("R", CultureInfo.InvariantCulture),
    };

    private static string JsonList(IEnumerable<string> items) =>
        new JsonArray(items.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()).ToJsonString();
}
