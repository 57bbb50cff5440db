using System.Globalization;
using Newtonsoft.Json;

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

    /// <summary>How x_t and the training timestep are paired (see <see cref="TimestepPairing"/>); the original code's by default.</summary>
    public TimestepPairing Pairing { get; init; } = TimestepPairing.Paper;

    /// <summary>
    /// The 2025 scripts' <c>--erase_from</c>: when set, x_t is sampled and the trained prediction taken under this concept
    /// (in the drawn template), and the target is <c>ep_from - (Eta + 1)(ep - e0)</c>; null: the concept itself (plain ESD).
    /// </summary>
    public string? EraseFrom { get; init; }

    /// <summary>
    /// A word that stands for "no concept" in the templates ("shape"): when set, the negative guidance is taken against
    /// the same prompt with the anchor in the concept's place instead of the empty prompt, e0 = eps(x_t, "a red shape on
    /// black") for "a red star on black", so that only the concept's direction is pushed away and the words around it are
    /// not (with the empty prompt, ep - e0 carries "red" and "black" too); "" drops the concept's word instead. Not in the paper;
    /// null: plain ESD.
    /// </summary>
    public string? Anchor { get; init; }
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
    /// are left out, so a model's defaults can name its whole vocabulary; so is every sentence that names one of them.
    /// An entry of one or two words is trained under <see cref="PromptTemplates"/>, a sentence of three or more ("a red circle on black", where
    /// the kept concepts meet the others as people combine them) as it is. Empty (the default): plain ESD.
    /// </summary>
    public IReadOnlyList<string> Preserve
    {
        get => _preserve.Where(p => !Concepts.Any(c => Blocklist.ConceptNames.Mentions(p, c))).ToList();
        init => _preserve = value;
    }

    public double PreserveWeight { get; init; } = 1.0;

    /// <summary>
    /// Trajectories kept per prompt by the trajectory pool (<see cref="TrajectoryPool"/>): whatever x_t the frozen model
    /// gives (x_t under <see cref="XtSource.Frozen"/>, the retain term's always) is drawn from it instead of sampled per
    /// iteration. 0: no pool, every x_t sampled from fresh noise (the path before the pool).
    /// </summary>
    public int PoolSize { get; init; } = 32;

    /// <summary>
    /// Trajectories kept per prompt for the retain term (<see cref="Preserve"/>; always the frozen model's). Its many
    /// prompts are each drawn rarely, so fewer trajectories each serve them; 0: sample its x_t per iteration.
    /// </summary>
    public int RetainPoolSize { get; init; } = 8;

    /// <summary>Iterations between re-samplings of a frozen pool with fresh noise (0: never; the frozen model's trajectories do not change).</summary>
    public int PoolRefresh { get; init; }

    /// <summary>
    /// Under <see cref="XtSource.Trained"/>: 0 (the default) samples every x_t with the current weights, exactly as the
    /// paper does; M &gt; 0 keeps a pool of the trained model's trajectories re-sampled every M iterations, an
    /// approximation (x_t from weights up to M iterations old) that is much faster. Needs <see cref="PoolSize"/> &gt; 0.
    /// </summary>
    public int XtRefresh { get; init; }

    /// <summary>
    /// Runs an iteration's U-Net calls on one thread when they are small (<see cref="IntraOpThreads"/>). Not a
    /// hyper-parameter (the results are the same up to rounding), so not in the metadata; off only to time the path before it.
    /// </summary>
    public bool OneThreadForSmallCalls { get; init; } = true;

    /// <summary>The most memory the pools may take, in MiB; a run whose pools would take more is refused before it starts.</summary>
    public int PoolMemoryMiB { get; init; } = 2048;

    /// <summary>Hyper-parameters as strings, for a delta file's metadata.</summary>
    public Dictionary<string, string> ToMetadata()
    {
        var m = new Dictionary<string, string>
        {
            ["method"] = Method.Name(),
            ["iterations"] = Iterations.ToString(CultureInfo.InvariantCulture),
            ["learning_rate"] = LearningRate.ToString("R", CultureInfo.InvariantCulture),
            ["eta"] = Eta.ToString("R", CultureInfo.InvariantCulture),
            ["start_guidance"] = StartGuidance.ToString("R", CultureInfo.InvariantCulture),
            ["ddim_steps"] = DdimSteps.ToString(CultureInfo.InvariantCulture),
            ["xt_from"] = XtFrom.Name(),
            ["seed"] = Seed.ToString(CultureInfo.InvariantCulture),
            ["timestep_mapping"] = Pairing.Name(),
            ["batch_size"] = BatchSize.ToString(CultureInfo.InvariantCulture),
            ["prompt_templates"] = JsonList(PromptTemplates),
            ["preserve"] = JsonList(Preserve),
            ["preserve_weight"] = PreserveWeight.ToString("R", CultureInfo.InvariantCulture),
        };
        // Only when set, so that plain runs keep their run keys (and checkpoints) from before the option existed.
        if (EraseFrom is not null) m["erase_from"] = EraseFrom;
        if (Anchor is not null) m["anchor"] = Anchor;
        m["pool_size"] = PoolSize.ToString(CultureInfo.InvariantCulture);
        if (Preserve.Count > 0) m["retain_pool_size"] = RetainPoolSize.ToString(CultureInfo.InvariantCulture);
        if (PoolRefresh != 0) m["pool_refresh"] = PoolRefresh.ToString(CultureInfo.InvariantCulture);
        if (XtRefresh != 0) m["xt_refresh"] = XtRefresh.ToString(CultureInfo.InvariantCulture);
        return m;
    }

    private static string JsonList(IEnumerable<string> items) => JsonConvert.SerializeObject(items.ToList());
}
