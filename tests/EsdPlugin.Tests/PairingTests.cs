using TestUtilities;
using EsdPlugin.Training;
using Host.Abstractions;
using DiffusionEngine.Scheduling;
using SampleHost.LoadedModels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EsdPlugin.Tests;

/// <summary>
/// How the trainer pairs x_t with t. A stand-in U-Net predicts the exact noise of data that is all zeros
/// (eps = x / sqrt(1 - a_t)), so DDIM keeps x = sqrt(1 - a) * noise and x_t over the iteration's starting noise tells
/// its noise level: the level the trainer's own sampling reached, measured rather than assumed.
/// </summary>
[Collection(HeavyTests.Name)]
public class PairingTests
{
    [Theory]
    [InlineData("paper", 50)]
    [InlineData("paper", 10)]
    [InlineData("matched", 50)]
    [InlineData("matched", 10)]
    public void EveryKTrainsAtTheNoiseLevelItsXtCarries(string pairing, int ddimSteps)
    {
        using var model = new ZeroDataModel();
        var settings = new EsdSettings
        {
            Concepts = ["cat"], Method = EsdMethod.EsdX, Iterations = 12 * ddimSteps, DdimSteps = ddimSteps, LearningRate = 1e-6,
            Seed = 11, Pairing = TimestepPairings.Parse(pairing), BatchSize = 8,
        };
        var plans = new List<XtPlan>();
        new EsdTrainer(model, SampleHost.Plugins.SafetensorsFiles.Instance).Train(settings, false, p => plans.Add(p.Plan), CancellationToken.None).Dispose();

        Assert.Equal(settings.Iterations, model.Unet0.Trained.Count);
        double step = 1000.0 / ddimSteps;
        var seen = new HashSet<int>();
        for (int i = 0; i < plans.Count; i++)
        {
            var (noiseScale, t) = model.Unet0.Trained[i];
            Assert.Equal(plans[i].Timestep, t);
            long level = model.LevelOfNoise(noiseScale);
            Assert.True(Math.Abs(level - t) <= 3 * step,
                $"k = {plans[i].K}: x_t has the noise of timestep {level} (noise scale {noiseScale:F5}) but is trained at t = {t}");
            seen.Add(plans[i].K);
        }
        Assert.Equal(ddimSteps, seen.Count); // every k was drawn and checked
    }

    [Fact]
    public void PaperPairingRunsTheOriginalSchedule()
    {
        // 50 steps: 981 (dropped), 961, ..., 1. k = 0 and 1 run all 49 steps to the clean end; k = 49 one step.
        long[] ts = Enumerable.Range(0, 50).Select(i => 981L - 20 * i).ToArray();
        var rng = new Random(1);
        var k0 = TimestepPairing.Paper.Plan(0, ts, 1000, rng);
        Assert.Equal((1, 49, -1L), (k0.First, k0.Count, k0.XtTimestep));
        Assert.InRange(k0.Timestep, 0, 19);
        var k1 = TimestepPairing.Paper.Plan(1, ts, 1000, rng);
        Assert.Equal((1, 49), (k1.First, k1.Count));
        Assert.InRange(k1.Timestep, 20, 39);
        var k2 = TimestepPairing.Paper.Plan(2, ts, 1000, rng);
        Assert.Equal((48, 1L), (k2.Count, k2.XtTimestep));
        var k49 = TimestepPairing.Paper.Plan(49, ts, 1000, rng);
        Assert.Equal((1, 1, 941L), (k49.First, k49.Count, k49.XtTimestep));
        Assert.InRange(k49.Timestep, 980, 999);
        var m = TimestepPairing.Matched.Plan(3, ts, 1000, rng);
        Assert.Equal((0, 3, 921L, 921L), (m.First, m.Count, m.XtTimestep, m.Timestep));
    }

    /// <summary>A model whose "U-Net" predicts the exact noise of all-zero data and records what the trained forward saw.</summary>
    private sealed class ZeroDataModel : ILoadedModel, IDisposable
    {
        private readonly DdimScheduler _scheduler = new(SchedulerConfig.StableDiffusion1);
        private readonly DdimNoiseSchedule _schedule;
        private readonly float[] _alphas;

        public ZeroDataModel()
        {
            _schedule = new DdimNoiseSchedule(_scheduler);
            _alphas = _scheduler.AlphasCumprod.data<float>().ToArray();
            Unet0 = new ExactNoise(_alphas);
        }

        public ExactNoise Unet0 { get; }

        /// <summary>The timestep whose sqrt(1 - alpha_cumprod) is nearest <paramref name="scale"/> (0 for SD's final alpha, alphas_cumprod[0]).</summary>
        public long LevelOfNoise(double scale) =>
            Enumerable.Range(0, _alphas.Length).MinBy(t => Math.Abs(Math.Sqrt(1 - _alphas[t]) - scale));

        public string Folder => Path.GetTempPath();
        public string Fingerprint => "zero-data";
        public Device Device => CPU;
        public ScalarType Dtype => ScalarType.Float32;
        public string Family => "sd1";
        public nn.Module Unet => Unet0;
        public Tensor Denoise(Tensor sample, Tensor timestep, Conditioning conditioning) => Unet0.call(sample, timestep, conditioning.HiddenStates);
        public long[] LatentShape => [4, 16, 16];
        public ITextEncoder TextEncoder { get; } = new ZeroText();
        public INoiseSchedule Schedule => _schedule;
        public IWeightPatches Patches => throw new NotSupportedException();

        public void Dispose()
        {
            _schedule.Dispose();
            _scheduler.Dispose();
            Unet0.Dispose();
        }
    }

    /// <summary>eps = x / sqrt(1 - a_t), plus an attn2 projection (so ESD-x has weights to train) that changes nothing.</summary>
    private sealed class ExactNoise : nn.Module<Tensor, Tensor, Tensor, Tensor>
    {
        private readonly float[] _alphas;
        private readonly Linear attn2;
        private Tensor? _start;
        private long _startT;

        public ExactNoise(float[] alphas) : base(nameof(ExactNoise))
        {
            _alphas = alphas;
            attn2 = nn.Linear(8, 1);
            RegisterComponents();
        }

        /// <summary>
        /// Per trained forward (the one with gradients): x_t's noise scale sqrt(1 - a), from x_t = s * noise where noise is
        /// the iteration's first input (its first forward, sampling's or, with no steps to run, the teacher's, sees x_T), and t.
        /// </summary>
        public List<(double NoiseScale, long T)> Trained { get; } = [];

        public override Tensor forward(Tensor x, Tensor t, Tensor context)
        {
            var ts = t.data<long>().ToArray();
            var scale = tensor(ts.Select(s => (float)(1 / Math.Sqrt(1 - _alphas[s]))).ToArray()).view(-1, 1, 1, 1);
            var result = x * scale + 0 * attn2.forward(context).mean();
            if (!is_grad_enabled())
            {
                if (_start is null) (_start, _startT) = (x.detach().clone().DetachFromDisposeScope(), ts[0]);
                return result;
            }
            var noise = _start![..(int)x.shape[0]].to(float64);
            var xt = x.detach().to(float64);
            // DDIM takes its starting noise as x at the first timestep it steps from: scale by that level's sqrt(1 - a).
            double relative = (xt * noise).sum().item<double>() / (noise * noise).sum().item<double>();
            Trained.Add((relative * Math.Sqrt(1 - _alphas[_startT]), ts[0]));
            _start.Dispose();
            _start = null;
            return result;
        }
    }

    private sealed class ZeroText : ITextEncoder
    {
        public Conditioning Encode(IReadOnlyList<string> prompts) => new(zeros(prompts.Count, 77, 8));
    }
}
