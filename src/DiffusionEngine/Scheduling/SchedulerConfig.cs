using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace DiffusionEngine.Scheduling;

/// <summary>
/// A diffusers <c>scheduler_config.json</c> read as DDIMScheduler's configuration. Absent keys take
/// DDIMScheduler's defaults; keys DDIM does not have (PNDM's <c>skip_prk_steps</c>, <c>_class_name</c>, ...)
/// are ignored, so SD 1.x's PNDM config loads with its own set_alpha_to_one / steps_offset / clip_sample.
/// </summary>
public sealed record SchedulerConfig
{
    public int NumTrainTimesteps { get; init; } = 1000;
    public double BetaStart { get; init; } = 0.0001;
    public double BetaEnd { get; init; } = 0.02;
    public BetaSchedule BetaSchedule { get; init; } = BetaSchedule.Linear;
    /// <summary>Explicit betas (length NumTrainTimesteps); when set, the schedule fields are not used.</summary>
    public IReadOnlyList<double>? TrainedBetas { get; init; }
    public bool ClipSample { get; init; } = true;
    public double ClipSampleRange { get; init; } = 1.0;
    public bool SetAlphaToOne { get; init; } = true;
    public int StepsOffset { get; init; }
    public PredictionType PredictionType { get; init; } = PredictionType.Epsilon;
    public bool Thresholding { get; init; }
    public double DynamicThresholdingRatio { get; init; } = 0.995;
    public double SampleMaxValue { get; init; } = 1.0;
    public TimestepSpacing TimestepSpacing { get; init; } = TimestepSpacing.Leading;
    public bool RescaleBetasZeroSnr { get; init; }
    /// <summary>The file's <c>_class_name</c> (e.g. PNDMScheduler, EulerDiscreteScheduler): which sampler the model ships with.</summary>
    public string? SourceClassName { get; init; }

    // EulerDiscreteScheduler's own keys (ignored by DDIM); only their default values are built.
    public string InterpolationType { get; init; } = "linear";
    public bool UseKarrasSigmas { get; init; }
    public string FinalSigmasType { get; init; } = "zero";
    public string TimestepType { get; init; } = "discrete";

    /// <summary>Whether the model's own sampler is Euler (SDXL ships EulerDiscreteScheduler; SD 1.x PNDM, which DDIM stands in for).</summary>
    public bool IsEuler => SourceClassName == "EulerDiscreteScheduler";

    /// <summary>SD 1.x's scheduler values (scaled_linear 0.00085..0.012, offset 1, no clipping, final alpha = alphas_cumprod[0]).</summary>
    public static SchedulerConfig StableDiffusion1 { get; } = new()
    {
        BetaStart = 0.00085,
        BetaEnd = 0.012,
        BetaSchedule = BetaSchedule.ScaledLinear,
        ClipSample = false,
        SetAlphaToOne = false,
        StepsOffset = 1,
    };

    public static SchedulerConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (the scheduler's scheduler_config.json)", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <param name="source">Names the text in error messages (usually its path).</param>
    public static SchedulerConfig Parse(string json, string source)
    {
        JObject o;
        try { o = JObject.Parse(json); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: not valid JSON ({e.Message})", e); }

        var d = new SchedulerConfig();
        var config = new SchedulerConfig
        {
            NumTrainTimesteps = Int(o, "num_train_timesteps", d.NumTrainTimesteps, source),
            BetaStart = Number(o, "beta_start", d.BetaStart, source),
            BetaEnd = Number(o, "beta_end", d.BetaEnd, source),
            BetaSchedule = Choice(o, "beta_schedule", d.BetaSchedule, source, new()
            {
                ["linear"] = BetaSchedule.Linear,
                ["scaled_linear"] = BetaSchedule.ScaledLinear,
                ["squaredcos_cap_v2"] = BetaSchedule.SquaredCosCapV2,
            }),
            TrainedBetas = Numbers(o, "trained_betas", source),
            ClipSample = Bool(o, "clip_sample", d.ClipSample, source),
            ClipSampleRange = Number(o, "clip_sample_range", d.ClipSampleRange, source),
            SetAlphaToOne = Bool(o, "set_alpha_to_one", d.SetAlphaToOne, source),
            StepsOffset = Int(o, "steps_offset", d.StepsOffset, source),
            PredictionType = Choice(o, "prediction_type", d.PredictionType, source, new()
            {
                ["epsilon"] = PredictionType.Epsilon,
                ["sample"] = PredictionType.Sample,
                ["v_prediction"] = PredictionType.VPrediction,
            }),
            Thresholding = Bool(o, "thresholding", d.Thresholding, source),
            DynamicThresholdingRatio = Number(o, "dynamic_thresholding_ratio", d.DynamicThresholdingRatio, source),
            SampleMaxValue = Number(o, "sample_max_value", d.SampleMaxValue, source),
            TimestepSpacing = Choice(o, "timestep_spacing", d.TimestepSpacing, source, new()
            {
                ["leading"] = TimestepSpacing.Leading,
                ["trailing"] = TimestepSpacing.Trailing,
                ["linspace"] = TimestepSpacing.Linspace,
            }),
            RescaleBetasZeroSnr = Bool(o, "rescale_betas_zero_snr", d.RescaleBetasZeroSnr, source),
            SourceClassName = o["_class_name"]?.Type == JTokenType.String ? (string?)o["_class_name"] : null,
            InterpolationType = Field(o, "interpolation_type") is { Type: JTokenType.String } it ? (string)it! : d.InterpolationType,
            UseKarrasSigmas = Bool(o, "use_karras_sigmas", d.UseKarrasSigmas, source),
            FinalSigmasType = Field(o, "final_sigmas_type") is { Type: JTokenType.String } fs ? (string)fs! : d.FinalSigmasType,
            TimestepType = Field(o, "timestep_type") is { Type: JTokenType.String } tt ? (string)tt! : d.TimestepType,
        };
        config.Validate(source);
        return config;
    }

    public void Validate(string source)
    {
        if (NumTrainTimesteps <= 0) throw new InvalidDataException($"{source}: 'num_train_timesteps' must be positive, found {NumTrainTimesteps}");
        if (TrainedBetas is not null && TrainedBetas.Count != NumTrainTimesteps)
            throw new InvalidDataException($"{source}: 'trained_betas' has {TrainedBetas.Count} values, expected num_train_timesteps = {NumTrainTimesteps}");
        if (TrainedBetas is null && !(BetaStart > 0 && BetaEnd > 0 && BetaStart < 1 && BetaEnd < 1))
            throw new InvalidDataException($"{source}: 'beta_start' and 'beta_end' must lie in (0, 1), found {BetaStart} and {BetaEnd}");
        if (StepsOffset < 0) throw new InvalidDataException($"{source}: 'steps_offset' must not be negative, found {StepsOffset}");
        if (ClipSampleRange <= 0) throw new InvalidDataException($"{source}: 'clip_sample_range' must be positive, found {ClipSampleRange}");
        if (!(DynamicThresholdingRatio is > 0 and <= 1))
            throw new InvalidDataException($"{source}: 'dynamic_thresholding_ratio' must lie in (0, 1], found {DynamicThresholdingRatio}");
    }

    private static JToken? Field(JObject o, string name) => o[name] is { Type: not JTokenType.Null } t ? t : null;

    private static string Describe(JToken t) => $"{t.Type} {t.ToString(Formatting.None)}";

    private static int Int(JObject o, string name, int fallback, string source) => Field(o, name) switch
    {
        null => fallback,
        { Type: JTokenType.Integer } t => (int)t,
        var t => throw new InvalidDataException($"{source}: '{name}' should be an integer, found {Describe(t)}"),
    };

    private static double Number(JObject o, string name, double fallback, string source) => Field(o, name) switch
    {
        null => fallback,
        { Type: JTokenType.Integer or JTokenType.Float } t => (double)t,
        var t => throw new InvalidDataException($"{source}: '{name}' should be a number, found {Describe(t)}"),
    };

    private static bool Bool(JObject o, string name, bool fallback, string source) => Field(o, name) switch
    {
        null => fallback,
        { Type: JTokenType.Boolean } t => (bool)t,
        var t => throw new InvalidDataException($"{source}: '{name}' should be true or false, found {Describe(t)}"),
    };

    private static IReadOnlyList<double>? Numbers(JObject o, string name, string source) => Field(o, name) switch
    {
        null => null,
        JArray a when a.All(v => v.Type is JTokenType.Integer or JTokenType.Float) => a.Select(v => (double)v).ToArray(),
        var t => throw new InvalidDataException($"{source}: '{name}' should be null or an array of numbers, found {Describe(t)}"),
    };

    private static T Choice<T>(JObject o, string name, T fallback, string source, Dictionary<string, T> values)
    {
        var t = Field(o, name);
        if (t is null) return fallback;
        if (t.Type == JTokenType.String && values.TryGetValue((string)t!, out var value)) return value;
        throw new InvalidDataException($"{source}: '{name}' is {t.ToString(Formatting.None)}, expected one of {string.Join(", ", values.Keys.Select(k => $"\"{k}\""))}");
    }
}
