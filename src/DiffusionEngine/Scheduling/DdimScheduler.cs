using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionEngine.Scheduling;

/// <summary>
/// diffusers' DDIMScheduler (Song et al. 2020, eq. 12 and 16). With eta = 0 a step is
/// <code>
/// x0   = (x - sqrt(1 - a_t) * eps) / sqrt(a_t)
/// prev = sqrt(a_prev) * x0 + sqrt(1 - a_prev) * eps
/// </code>
/// where a = alphas_cumprod, a_prev = alphas_cumprod[t - N / steps], or the final alpha (1, or
/// alphas_cumprod[0] when set_alpha_to_one is false) past the start. Scalars are computed in float32 as
/// diffusers' 0-dim tensors are, so results match the Python scheduler bit for bit on the same kernels.
/// </summary>
public sealed class DdimScheduler : IInferenceScheduler
{
    private readonly float[] _alphasCumprod;
    private long[] _timesteps = [];

    public SchedulerConfig Config { get; }
    /// <summary>float32 [num_train_timesteps], CPU; owned by the scheduler.</summary>
    public Tensor Betas { get; }
    /// <summary>cumprod(1 - betas), float32 [num_train_timesteps], CPU; owned by the scheduler.</summary>
    public Tensor AlphasCumprod { get; }
    /// <summary>The alpha product used past the last step: 1 when set_alpha_to_one, else alphas_cumprod[0].</summary>
    public double FinalAlphaCumprod => FinalAlpha;
    /// <summary>DDIM starts from unscaled unit Gaussian noise and does not scale model inputs.</summary>
    public double InitNoiseSigma => 1.0;
    /// <summary>Set by <see cref="SetTimesteps"/>; null before.</summary>
    public int? NumInferenceSteps { get; private set; }
    /// <summary>The current inference timesteps, descending (a copy).</summary>
    public long[] Timesteps => (long[])_timesteps.Clone();
    public int NumTrainTimesteps => Config.NumTrainTimesteps;

    private float FinalAlpha { get; }

    public DdimScheduler(SchedulerConfig config)
    {
        config.Validate(nameof(SchedulerConfig));
        Config = config;
        Betas = NoiseSchedule.Betas(config);
        AlphasCumprod = NoiseSchedule.AlphasCumprod(Betas);
        _alphasCumprod = AlphasCumprod.data<float>().ToArray();
        FinalAlpha = config.SetAlphaToOne ? 1f : _alphasCumprod[0];
    }

    /// <summary>Reads a <c>scheduler_config.json</c> (a DDIM or, as in SD 1.x folders, a PNDM one).</summary>
    public static DdimScheduler FromConfigFile(string schedulerConfigPath) => new(SchedulerConfig.Load(schedulerConfigPath));

    /// <summary>alphas_cumprod[t] (the float32 value).</summary>
    public double AlphaCumprod(long t) => _alphasCumprod[CheckTimestep(t)];

    /// <summary>Chooses the inference timesteps (descending) per timestep_spacing and returns them.</summary>
    public long[] SetTimesteps(int steps)
    {
        _timesteps = InferenceTimesteps.Compute(Config.TimestepSpacing, Config.NumTrainTimesteps, steps, Config.StepsOffset);
        NumInferenceSteps = steps;
        return Timesteps;
    }

    int IInferenceScheduler.SetTimesteps(int steps) => SetTimesteps(steps).Length;

    public Tensor ModelTimestep(int index, long batch, Device device) => full([batch], _timesteps[index], ScalarType.Int64, device);

    public Tensor ScaleModelInput(Tensor sample, int index) => sample.alias();

    // Explicit: beside Step(output, timestep, ...) a step index would too easily be taken for a timestep.
    Tensor IInferenceScheduler.Step(Tensor modelOutput, int index, Tensor sample, double eta, Generator? generator) =>
        Step(modelOutput, _timesteps[index], sample, eta, generator);

    /// <summary>The timestep a step from <paramref name="timestep"/> lands on (negative past the start).</summary>
    public long PreviousTimestep(long timestep) =>
        timestep - Config.NumTrainTimesteps / (NumInferenceSteps ?? throw NotSet());

    /// <summary>x_{t-1} from the model output at <paramref name="timestep"/>. A new tensor; inputs are untouched.</summary>
    /// <param name="modelOutput">Shaped like <paramref name="sample"/>: epsilon, x0 or v per prediction_type.</param>
    /// <param name="eta">0 = deterministic DDIM, 1 = DDPM-like noise.</param>
    /// <param name="generator">For the noise when eta &gt; 0 (a CPU generator with a non-CPU sample draws on the CPU, as diffusers).</param>
    public Tensor Step(Tensor modelOutput, long timestep, Tensor sample, double eta = 0, Generator? generator = null)
    {
        var (prev, x0) = StepWithPrediction(modelOutput, timestep, sample, eta, generator);
        x0.Dispose();
        return prev;
    }

    /// <summary>As <see cref="Step"/>, also returning the predicted x0 (both new tensors the caller disposes).</summary>
    public (Tensor PrevSample, Tensor PredOriginalSample) StepWithPrediction(
        Tensor modelOutput, long timestep, Tensor sample, double eta = 0, Generator? generator = null)
    {
        if (!modelOutput.shape.SequenceEqual(sample.shape))
            throw new ArgumentException($"model output [{string.Join(", ", modelOutput.shape)}] and sample [{string.Join(", ", sample.shape)}] differ in shape", nameof(modelOutput));
        if (eta < 0) throw new ArgumentOutOfRangeException(nameof(eta), eta, "eta must not be negative");
        long prevT = PreviousTimestep(timestep);
        float alphaT = _alphasCumprod[CheckTimestep(timestep)];
        float alphaPrev = prevT >= 0 ? _alphasCumprod[prevT] : FinalAlpha;
        float betaT = 1f - alphaT;
        float sqrtAlphaT = MathF.Sqrt(alphaT), sqrtBetaT = MathF.Sqrt(betaT);

        using var scope = NewDisposeScope();
        Tensor x0, eps;
        switch (Config.PredictionType)
        {
            case PredictionType.Epsilon:
                x0 = (sample - sqrtBetaT * modelOutput) / sqrtAlphaT;
                eps = modelOutput;
                break;
            case PredictionType.Sample:
                x0 = modelOutput.alias();
                eps = (sample - sqrtAlphaT * x0) / sqrtBetaT;
                break;
            case PredictionType.VPrediction:
                x0 = sqrtAlphaT * sample - sqrtBetaT * modelOutput;
                eps = sqrtAlphaT * modelOutput + sqrtBetaT * sample;
                break;
            default:
                throw new InvalidOperationException($"unknown prediction type {Config.PredictionType}");
        }

        if (Config.Thresholding) x0 = DynamicThreshold(x0);
        else if (Config.ClipSample) x0 = x0.clamp(-Config.ClipSampleRange, Config.ClipSampleRange);

        float betaPrev = 1f - alphaPrev;
        float variance = betaPrev / betaT * (1f - alphaT / alphaPrev);
        float stdDev = (float)eta * MathF.Sqrt(variance);
        float directionScale = MathF.Sqrt(1f - alphaPrev - stdDev * stdDev);

        var prev = MathF.Sqrt(alphaPrev) * x0 + directionScale * eps;
        if (eta > 0)
        {
            var noise = VarianceNoise(modelOutput, generator);
            prev = prev + stdDev * noise;
        }
        return (scope.MoveToOuter(prev), scope.MoveToOuter(x0));
    }

    /// <summary>sqrt(a_t) * x0 + sqrt(1 - a_t) * noise, for one timestep.</summary>
    public Tensor AddNoise(Tensor x0, Tensor noise, long timestep)
    {
        using var t = tensor(new[] { CheckTimestep(timestep) }, ScalarType.Int64);
        return AddNoise(x0, noise, t);
    }

    /// <summary>As diffusers' add_noise: one timestep per batch element (int64 [B]), or one for all ([1]).</summary>
    public Tensor AddNoise(Tensor x0, Tensor noise, Tensor timesteps)
    {
        using var scope = NewDisposeScope();
        var table = AlphasCumprod.to(x0.dtype, x0.device);
        var a = table[timesteps.to(ScalarType.Int64, x0.device)].flatten();
        var shape = new long[x0.dim()];
        Array.Fill(shape, 1L);
        shape[0] = a.shape[0];
        var sqrtAlpha = a.sqrt().view(shape);
        var sqrtOneMinusAlpha = (1.0 - a).sqrt().view(shape);
        return scope.MoveToOuter(sqrtAlpha * x0 + sqrtOneMinusAlpha * noise);
    }

    // diffusers' _threshold_sample (Imagen): per sample, s = clamp(quantile(|x0|, ratio), 1, sample_max_value);
    // x0 = clamp(x0, -s, s) / s.
    private Tensor DynamicThreshold(Tensor x0)
    {
        var dtype = x0.dtype;
        var x = dtype is ScalarType.Float32 or ScalarType.Float64 ? x0 : x0.to(ScalarType.Float32);
        var flat = x.reshape(x.shape[0], -1);
        var q = tensor(Config.DynamicThresholdingRatio, flat.dtype, flat.device);
        var s = flat.abs().quantile(q, dim: 1).clamp(1.0, Config.SampleMaxValue).unsqueeze(1);
        var thresholded = flat.clamp(-s, s) / s;
        return thresholded.reshape(x0.shape).to(dtype);
    }

    private static Tensor VarianceNoise(Tensor like, Generator? generator)
    {
        var drawOn = generator is not null && generator.device.type == DeviceType.CPU ? CPU : like.device;
        var noise = randn(like.shape, like.dtype, drawOn, generator: generator);
        return drawOn.type == like.device_type ? noise : noise.to(like.device);
    }

    private long CheckTimestep(long t) =>
        t >= 0 && t < Config.NumTrainTimesteps ? t
            : throw new ArgumentOutOfRangeException(nameof(t), t, $"timestep must lie in 0..{Config.NumTrainTimesteps - 1}");

    private static InvalidOperationException NotSet() =>
        new("the number of inference steps is not set: call SetTimesteps first");

    public void Dispose()
    {
        Betas.Dispose();
        AlphasCumprod.Dispose();
    }
}
