using TestUtilities;
using DiffusionEngine.Safetensors;
using DiffusionEngine.Scheduling;
using static TorchSharp.torch;

namespace DiffusionEngine.Tests.Scheduling;

public class DdimSchedulerTests
{
    private static readonly string Alpha = AlphaFixture.Folder;
    private static readonly string AlphaSchedulerConfig = Path.Combine(Alpha, "scheduler", "scheduler_config.json");
    private static readonly string Sd15SchedulerConfig = Path.Combine(RepoPaths.Sd15Configs, "scheduler", "scheduler_config.json");

    // SD 1.x's alphas_cumprod from first principles, in double.
    private static double[] Sd1AlphasCumprod()
    {
        double s = Math.Sqrt(0.00085), e = Math.Sqrt(0.012), product = 1;
        var result = new double[1000];
        for (int i = 0; i < 1000; i++)
        {
            double root = s + (e - s) * i / 999;
            product *= 1 - root * root;
            result[i] = product;
        }
        return result;
    }

    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    private static void AssertClose(double[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * scale, $"[{i}] expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void TenStepsEqualTheFixtureTimesteps()
    {
        using var scheduler = DdimScheduler.FromConfigFile(AlphaSchedulerConfig);
        using var outputs = SafetensorsFile.Open(Path.Combine(Alpha, "probe", "outputs.safetensors"));
        using var expected = outputs.Read("ddim.timesteps");
        Assert.Equal(expected.data<long>().ToArray(), scheduler.SetTimesteps(10));
        Assert.Equal(new long[] { 901, 801, 701, 601, 501, 401, 301, 201, 101, 1 }, scheduler.Timesteps);
    }

    [Fact]
    public void PndmConfigOfSd15LoadsAsDdim()
    {
        var config = SchedulerConfig.Load(Sd15SchedulerConfig);
        Assert.Equal("PNDMScheduler", config.SourceClassName);
        Assert.False(config.SetAlphaToOne);
        Assert.Equal(1, config.StepsOffset);
        Assert.False(config.ClipSample);
        Assert.Equal(BetaSchedule.ScaledLinear, config.BetaSchedule);
        Assert.Equal(0.00085, config.BetaStart);
        Assert.Equal(0.012, config.BetaEnd);
        // Absent keys take DDIM's defaults.
        Assert.Equal(PredictionType.Epsilon, config.PredictionType);
        Assert.Equal(TimestepSpacing.Leading, config.TimestepSpacing);
        Assert.False(config.Thresholding);
        Assert.Null(config.TrainedBetas);
        Assert.Equal(SchedulerConfig.StableDiffusion1 with { SourceClassName = "PNDMScheduler" }, config);
    }

    [Fact]
    public void FiftyStepsOfSd15Are981Down20To1()
    {
        using var scheduler = DdimScheduler.FromConfigFile(Sd15SchedulerConfig);
        var expected = Enumerable.Range(0, 50).Select(k => 981L - 20 * k).ToArray();
        Assert.Equal(expected, scheduler.SetTimesteps(50));
        Assert.Equal(1, expected[^1]);
        Assert.Equal(961, scheduler.PreviousTimestep(981));
    }

    [Fact]
    public void AlphasCumprodFollowTheScaledLinearSchedule()
    {
        using var scheduler = new DdimScheduler(SchedulerConfig.StableDiffusion1);
        Assert.Equal(ScalarType.Float32, scheduler.AlphasCumprod.dtype);
        Assert.Equal(new long[] { 1000 }, scheduler.AlphasCumprod.shape);
        AssertClose(Sd1AlphasCumprod(), Values(scheduler.AlphasCumprod), 2e-6);
        Assert.Equal((double)(1f - 0.00085f), scheduler.AlphaCumprod(0), 7);
        Assert.Equal(scheduler.AlphaCumprod(0), scheduler.FinalAlphaCumprod);
        using var one = new DdimScheduler(SchedulerConfig.StableDiffusion1 with { SetAlphaToOne = true });
        Assert.Equal(1.0, one.FinalAlphaCumprod);
    }

    [Fact]
    public void LinearBetasAreEvenlySpaced()
    {
        using var scheduler = new DdimScheduler(new SchedulerConfig { BetaStart = 0.0001, BetaEnd = 0.02, NumTrainTimesteps = 100 });
        var betas = Values(scheduler.Betas);
        for (int i = 0; i < 100; i++) Assert.Equal(0.0001 + (0.02 - 0.0001) * i / 99, betas[i], 6);
    }

    [Fact]
    public void OneStepMatchesTheProbeFormula()
    {
        using var scheduler = DdimScheduler.FromConfigFile(AlphaSchedulerConfig);
        scheduler.SetTimesteps(10);
        var ac = Sd1AlphasCumprod();
        var gen = new Generator(7);
        using var x = randn([1, 4, 8, 8], generator: gen) * 10;
        using var eps = randn([1, 4, 8, 8], generator: gen);
        foreach (long t in new long[] { 901, 501, 1 })
        {
            double aT = ac[t], aPrev = t - 100 >= 0 ? ac[t - 100] : ac[0];
            var xs = Values(x);
            var es = Values(eps);
            var expected = new double[xs.Length];
            for (int i = 0; i < xs.Length; i++)
            {
                double x0 = (xs[i] - Math.Sqrt(1 - aT) * es[i]) / Math.Sqrt(aT);
                expected[i] = Math.Sqrt(aPrev) * x0 + Math.Sqrt(1 - aPrev) * es[i];
            }
            using var prev = scheduler.Step(eps, t, x);
            AssertClose(expected, Values(prev), 1e-5);
        }
    }

    [Fact]
    public void StepUsesFloat32ScalarsInDiffusersOrder()
    {
        // The same arithmetic as diffusers' 0-dim float32 tensors, element by element: must agree to the bit.
        using var scheduler = new DdimScheduler(SchedulerConfig.StableDiffusion1);
        scheduler.SetTimesteps(10);
        var gen = new Generator(11);
        using var x = randn([2, 4, 4, 4], generator: gen);
        using var eps = randn([2, 4, 4, 4], generator: gen);
        float aT = (float)scheduler.AlphaCumprod(701), aPrev = (float)scheduler.AlphaCumprod(601);
        float sb = MathF.Sqrt(1f - aT), sa = MathF.Sqrt(aT), sp = MathF.Sqrt(aPrev), sd = MathF.Sqrt(1f - aPrev - 0f * 0f);
        var xs = Values(x);
        var es = Values(eps);
        var expected = new float[xs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            float x0 = (xs[i] - sb * es[i]) / sa;
            expected[i] = sp * x0 + sd * es[i];
        }
        using var prev = scheduler.Step(eps, 701, x);
        Assert.Equal(expected, Values(prev));
    }

    [Fact]
    public void LastStepWithSetAlphaToOneReturnsThePredictedSample()
    {
        using var scheduler = new DdimScheduler(SchedulerConfig.StableDiffusion1 with { SetAlphaToOne = true });
        scheduler.SetTimesteps(10);
        using var x = randn(1, 4, 4, 4);
        using var eps = randn(1, 4, 4, 4);
        var (prev, x0) = scheduler.StepWithPrediction(eps, 1, x);
        using (prev)
        using (x0)
            Assert.Equal(Values(x0), Values(prev));
    }

    [Fact]
    public void AllPredictionTypesAgreeOnTheSameState()
    {
        var ac = Sd1AlphasCumprod();
        long t = 501;
        double a = ac[t];
        var gen = new Generator(3);
        using var cleanSample = randn([1, 4, 4, 4], generator: gen);
        using var noise = randn([1, 4, 4, 4], generator: gen);
        using var noisy = Math.Sqrt(a) * cleanSample + Math.Sqrt(1 - a) * noise;
        using var v = Math.Sqrt(a) * noise - Math.Sqrt(1 - a) * cleanSample;

        Tensor StepAs(PredictionType type, Tensor output)
        {
            using var scheduler = new DdimScheduler(SchedulerConfig.StableDiffusion1 with { PredictionType = type });
            scheduler.SetTimesteps(10);
            return scheduler.Step(output, t, noisy);
        }
        using var fromEpsilon = StepAs(PredictionType.Epsilon, noise);
        using var fromSample = StepAs(PredictionType.Sample, cleanSample);
        using var fromV = StepAs(PredictionType.VPrediction, v);
        Assert.True(fromSample.allclose(fromEpsilon, rtol: 0, atol: 1e-4));
        Assert.True(fromV.allclose(fromEpsilon, rtol: 0, atol: 1e-4));
    }

    [Fact]
    public void EtaAddsScaledNoiseFromTheGenerator()
    {
        using var scheduler = new DdimScheduler(SchedulerConfig.StableDiffusion1);
        scheduler.SetTimesteps(10);
        var ac = Sd1AlphasCumprod();
        double aT = ac[501], aPrev = ac[401], eta = 0.8;
        double std = eta * Math.Sqrt((1 - aPrev) / (1 - aT) * (1 - aT / aPrev));
        using var x = randn(1, 4, 4, 4);
        using var eps = randn(1, 4, 4, 4);
        using var prev = scheduler.Step(eps, 501, x, eta, new Generator(42));
        using var noise = randn([1, 4, 4, 4], generator: new Generator(42));
        var xs = Values(x);
        var es = Values(eps);
        var ns = Values(noise);
        var expected = new double[xs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            double x0 = (xs[i] - Math.Sqrt(1 - aT) * es[i]) / Math.Sqrt(aT);
            expected[i] = Math.Sqrt(aPrev) * x0 + Math.Sqrt(1 - aPrev - std * std) * es[i] + std * ns[i];
        }
        AssertClose(expected, Values(prev), 1e-5);
    }

    [Fact]
    public void ClipSampleClampsThePredictedSample()
    {
        using var scheduler = new DdimScheduler(SchedulerConfig.StableDiffusion1 with { ClipSample = true, ClipSampleRange = 1.5, PredictionType = PredictionType.Sample });
        scheduler.SetTimesteps(10);
        using var output = tensor(new float[] { -4, -1, 0.5f, 3 }, [1, 1, 2, 2]);
        using var x = zeros(1, 1, 2, 2);
        var (prev, x0) = scheduler.StepWithPrediction(output, 501, x);
        using (prev)
        using (x0)
            Assert.Equal(new float[] { -1.5f, -1, 0.5f, 1.5f }, Values(x0));
    }

    [Fact]
    public void DynamicThresholdingScalesByTheQuantile()
    {
        var config = SchedulerConfig.StableDiffusion1 with
        {
            Thresholding = true, DynamicThresholdingRatio = 0.5, SampleMaxValue = 10, PredictionType = PredictionType.Sample,
        };
        using var scheduler = new DdimScheduler(config);
        scheduler.SetTimesteps(10);
        // Row 0: |x| = 1, 2, 3, 4 -> median 2.5 -> clamp to +-2.5, divide by 2.5. Row 1: median below 1 -> s = 1.
        using var output = tensor(new float[] { -1, 2, -3, 4, 0.1f, -0.2f, 0.3f, 5 }, [2, 1, 2, 2]);
        using var x = zeros(2, 1, 2, 2);
        var (prev, x0) = scheduler.StepWithPrediction(output, 501, x);
        using (prev)
        using (x0)
        {
            var expected = new[] { -1 / 2.5, 2 / 2.5, -2.5 / 2.5, 2.5 / 2.5, 0.1, -0.2, 0.3, 1 };
            AssertClose(expected, Values(x0), 1e-6);
        }
    }

    [Fact]
    public void AddNoiseMixesBySqrtAlphaCumprod()
    {
        using var scheduler = new DdimScheduler(SchedulerConfig.StableDiffusion1);
        var ac = Sd1AlphasCumprod();
        using var x0 = randn(2, 4, 4, 4);
        using var noise = randn(2, 4, 4, 4);
        using var noisy = scheduler.AddNoise(x0, noise, 999);
        var xs = Values(x0);
        var ns = Values(noise);
        AssertClose(xs.Select((v, i) => Math.Sqrt(ac[999]) * v + Math.Sqrt(1 - ac[999]) * ns[i]).ToArray(), Values(noisy), 1e-6);

        using var perSample = tensor(new long[] { 10, 900 }, ScalarType.Int64);
        using var mixed = scheduler.AddNoise(x0, noise, perSample);
        var ms = Values(mixed);
        int per = xs.Length / 2;
        for (int i = 0; i < xs.Length; i++)
        {
            double a = ac[i < per ? 10 : 900];
            double expected = Math.Sqrt(a) * xs[i] + Math.Sqrt(1 - a) * ns[i];
            Assert.True(Math.Abs(expected - ms[i]) <= 1e-5, $"[{i}] expected {expected}, got {ms[i]}");
        }
    }

    [Theory]
    [InlineData("Trailing", 10, new long[] { 999, 899, 799, 699, 599, 499, 399, 299, 199, 99 })]
    [InlineData("Linspace", 10, new long[] { 999, 888, 777, 666, 555, 444, 333, 222, 111, 0 })]
    [InlineData("Trailing", 3, new long[] { 999, 666, 332 })]
    [InlineData("Linspace", 3, new long[] { 999, 500, 0 })] // 499.5 rounds half to even
    [InlineData("Leading", 3, new long[] { 667, 334, 1 })]
    [InlineData("Linspace", 1, new long[] { 0 })]
    public void OtherSpacingsFollowDiffusers(string spacing, int steps, long[] expected)
    {
        using var scheduler = new DdimScheduler(SchedulerConfig.StableDiffusion1 with { TimestepSpacing = Enum.Parse<TimestepSpacing>(spacing) });
        Assert.Equal(expected, scheduler.SetTimesteps(steps));
    }

    [Fact]
    public void EverySpacingGivesDescendingTimestepsInRange()
    {
        foreach (var spacing in Enum.GetValues<TimestepSpacing>())
        {
            using var scheduler = new DdimScheduler(SchedulerConfig.StableDiffusion1 with { TimestepSpacing = spacing });
            foreach (int steps in new[] { 1, 2, 7, 20, 25, 33, 50, 999, 1000 })
            {
                var t = scheduler.SetTimesteps(steps);
                Assert.Equal(steps, t.Length);
                // As in diffusers, "leading" with steps_offset 1 reaches 1000 only at 1000 steps.
                long max = spacing == TimestepSpacing.Leading && steps == 1000 ? 1000 : 999;
                Assert.All(t, v => Assert.InRange(v, 0, max));
                for (int i = 1; i < t.Length; i++) Assert.True(t[i] < t[i - 1], $"{spacing} {steps}: not descending at {i}");
            }
        }
    }

    [Fact]
    public void MisuseIsReported()
    {
        using var scheduler = new DdimScheduler(SchedulerConfig.StableDiffusion1);
        using var x = zeros(1, 4, 2, 2);
        Assert.Throws<InvalidOperationException>(() => scheduler.Step(x, 901, x));
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.SetTimesteps(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.SetTimesteps(1001));
        scheduler.SetTimesteps(10);
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Step(x, 1000, x));
        using var other = zeros(1, 4, 2, 3);
        Assert.Throws<ArgumentException>(() => scheduler.Step(other, 901, x));
    }

    [Fact]
    public void ConfigErrorsNameTheField()
    {
        var e = Assert.Throws<InvalidDataException>(() => SchedulerConfig.Parse("{\"beta_schedule\": \"cubic\"}", "sched.json"));
        Assert.Contains("sched.json", e.Message);
        Assert.Contains("beta_schedule", e.Message);
        e = Assert.Throws<InvalidDataException>(() => SchedulerConfig.Parse("{\"steps_offset\": \"one\"}", "sched.json"));
        Assert.Contains("steps_offset", e.Message);
        e = Assert.Throws<InvalidDataException>(() => SchedulerConfig.Parse("{\"num_train_timesteps\": 3, \"trained_betas\": [0.1, 0.2]}", "sched.json"));
        Assert.Contains("trained_betas", e.Message);
        e = Assert.Throws<InvalidDataException>(() => SchedulerConfig.Parse("{\"prediction_type\": \"flow\"}", "sched.json"));
        Assert.Contains("prediction_type", e.Message);
        Assert.Throws<FileNotFoundException>(() => SchedulerConfig.Load(Path.Combine(Alpha, "scheduler", "none.json")));
    }

    [Fact]
    public void TrainedBetasAreUsedAsGiven()
    {
        var config = SchedulerConfig.Parse("{\"num_train_timesteps\": 4, \"trained_betas\": [0.1, 0.2, 0.3, 0.4]}", "inline");
        using var scheduler = new DdimScheduler(config);
        AssertClose([0.9, 0.9 * 0.8, 0.9 * 0.8 * 0.7, 0.9 * 0.8 * 0.7 * 0.6], Values(scheduler.AlphasCumprod), 1e-6);
    }

    [Fact]
    public void CosineAndZeroSnrSchedulesBehave()
    {
        using var cosine = new DdimScheduler(SchedulerConfig.StableDiffusion1 with { BetaSchedule = BetaSchedule.SquaredCosCapV2 });
        var betas = Values(cosine.Betas);
        Assert.Equal(0.999f, betas[^1]);
        Assert.All(betas, b => Assert.InRange(b, 0f, 0.999f));

        using var plain = new DdimScheduler(SchedulerConfig.StableDiffusion1);
        using var zeroSnr = new DdimScheduler(SchedulerConfig.StableDiffusion1 with { RescaleBetasZeroSnr = true });
        Assert.Equal(0.0, zeroSnr.AlphaCumprod(999), 6);
        Assert.Equal(plain.AlphaCumprod(0), zeroSnr.AlphaCumprod(0), 6);
    }
}
