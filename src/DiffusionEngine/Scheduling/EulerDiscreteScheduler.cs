using static TorchSharp.torch;

namespace DiffusionEngine.Scheduling;

/// <summary>
/// diffusers' EulerDiscreteScheduler (Karras et al. 2022, Algorithm 2 with s_churn 0), SDXL's default sampler. The
/// noise levels are sigma = sqrt((1 - a) / a) of the training schedule at the inference timesteps (linearly
/// interpolated), then 0; a step is <c>x + (x - x0) / sigma * (sigma_next - sigma)</c>. Computed in float32 as diffusers'
/// tensors are, in the same operation order, so results match the Python scheduler bit for bit.
/// Only the configuration SDXL uses is built: linear interpolation, no Karras sigmas, a final sigma of zero.
/// </summary>
public sealed class EulerDiscreteScheduler : IInferenceScheduler
{
    private readonly float[] _allSigmas; // sqrt((1 - a) / a) for every training timestep
    private float[] _sigmas = [];        // one per step, then 0
    private float[] _timesteps = [];

    public SchedulerConfig Config { get; }

    public EulerDiscreteScheduler(SchedulerConfig config)
    {
        config.Validate(nameof(SchedulerConfig));
        if (config.InterpolationType != "linear")
            throw new NotSupportedException($"EulerDiscreteScheduler: interpolation_type \"{config.InterpolationType}\" is not built (only \"linear\")");
        if (config.UseKarrasSigmas) throw new NotSupportedException("EulerDiscreteScheduler: use_karras_sigmas is not built");
        if (config.FinalSigmasType != "zero") throw new NotSupportedException($"EulerDiscreteScheduler: final_sigmas_type \"{config.FinalSigmasType}\" is not built (only \"zero\")");
        if (config.TimestepType != "discrete") throw new NotSupportedException($"EulerDiscreteScheduler: timestep_type \"{config.TimestepType}\" is not built (only \"discrete\")");
        if (config.PredictionType == PredictionType.Sample) throw new NotSupportedException("EulerDiscreteScheduler: prediction_type \"sample\" is not built");
        Config = config;
        using var betas = NoiseSchedule.Betas(config);
        using var ac = NoiseSchedule.AlphasCumprod(betas);
        using var sigmas = ((1.0 - ac) / ac).pow(0.5);
        _allSigmas = sigmas.data<float>().ToArray();
    }

    /// <summary>The inference timesteps (float32, descending), after <see cref="SetTimesteps"/>.</summary>
    public IReadOnlyList<float> Timesteps => _timesteps;

    /// <summary>The noise levels, one per step and a final 0 (float32).</summary>
    public IReadOnlyList<float> Sigmas => _sigmas;

    public int SetTimesteps(int steps)
    {
        int n = Config.NumTrainTimesteps;
        double[] t = Config.TimestepSpacing == TimestepSpacing.Linspace
            ? InferenceTimesteps.LinspaceUnrounded(n, steps)
            : InferenceTimesteps.Compute(Config.TimestepSpacing, n, steps, Config.StepsOffset).Select(v => (double)v).ToArray();
        _timesteps = t.Select(v => (float)v).ToArray();
        // numpy's interp over the training timesteps 0..N-1 (float64), then float32 as diffusers stores them.
        _sigmas = t.Select(v => (float)Interpolate(v)).Append(0f).ToArray();
        return steps;
    }

    private double Interpolate(double t)
    {
        if (t <= 0) return _allSigmas[0];
        if (t >= _allSigmas.Length - 1) return _allSigmas[^1];
        int i = (int)Math.Floor(t);
        double frac = t - i;
        return frac == 0 ? _allSigmas[i] : _allSigmas[i] + frac * (_allSigmas[i + 1] - (double)_allSigmas[i]);
    }

    public Tensor ModelTimestep(int index, long batch, Device device) => full([batch], _timesteps[index], ScalarType.Float32, device);

    /// <summary>sqrt(max sigma^2 + 1) for "leading" spacing, max sigma for "linspace" and "trailing" (float32).</summary>
    public double InitNoiseSigma
    {
        get
        {
            float max = _sigmas.Length == 0 ? throw new InvalidOperationException("call SetTimesteps first") : _sigmas.Max();
            return Config.TimestepSpacing is TimestepSpacing.Linspace or TimestepSpacing.Trailing ? max : MathF.Sqrt(max * max + 1f);
        }
    }

    public Tensor ScaleModelInput(Tensor sample, int index)
    {
        float s = _sigmas[index];
        return sample / MathF.Sqrt(s * s + 1f);
    }

    public Tensor Step(Tensor modelOutput, int index, Tensor sample, double eta = 0, Generator? generator = null)
    {
        if (eta != 0) throw new NotSupportedException("EulerDiscreteScheduler is deterministic here (s_churn 0): eta must be 0");
        float sigma = _sigmas[index], next = _sigmas[index + 1];
        using var scope = NewDisposeScope();
        var x0 = Config.PredictionType == PredictionType.VPrediction
            ? modelOutput * (-sigma / MathF.Sqrt(sigma * sigma + 1f)) + sample / (sigma * sigma + 1f)
            : sample - sigma * modelOutput;
        var derivative = (sample - x0) / sigma;
        var result = sample + derivative * (next - sigma);
        return scope.MoveToOuter(result);
    }

    public void Dispose() { }
}
