using Host.Abstractions;
using EsdPlugin.Training;
using DiffusionEngine.Scheduling;
using SampleHost.LoadedModels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EsdPlugin.Tests;

/// <summary>The plugin's x_t sampler steps with the host's scheduler (its prediction type and clipping) and keeps x in float32.</summary>
public class SamplerTests
{
    /// <summary>A deterministic stand-in for a U-Net: 0.3 x + 0.1 + context's mean, in the dtype of its weights.</summary>
    private sealed class Affine : nn.Module<Tensor, Tensor, Tensor, Tensor>
    {
        private readonly Linear attn2;

        public Affine(ScalarType dtype) : base(nameof(Affine))
        {
            attn2 = nn.Linear(1, 1);
            RegisterComponents();
            using (no_grad())
            {
                attn2.weight!.fill_(0.3);
                attn2.bias!.fill_(0.1);
            }
            this.to(dtype);
        }

        public override Tensor forward(Tensor x, Tensor t, Tensor context)
        {
            Assert.Equal(attn2.weight!.dtype, x.dtype); // inputs reach the model in its dtype
            return attn2.forward(x.unsqueeze(-1)).squeeze(-1) + context.mean(); // [B, C, H, W]
        }
    }

    [Theory]
    [InlineData("epsilon", false)]
    [InlineData("v_prediction", true)]
    [InlineData("sample", false)]
    public void EachStepIsTheHostSchedulersAndXStaysFloat32(string predictionType, bool clip)
    {
        var prediction = predictionType switch { "epsilon" => PredictionType.Epsilon, "v_prediction" => PredictionType.VPrediction, _ => PredictionType.Sample };
        var config = SchedulerConfig.StableDiffusion1 with { PredictionType = prediction, ClipSample = clip };
        using var host = new DdimScheduler(config);
        using var schedule = new DdimNoiseSchedule(host);
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            using var unet = new Affine(dtype);
            using var g = new Generator(3);
            using var noise = randn([2, 4, 6, 6], generator: g);
            using var context = cat([zeros(2, 77, 8), full(2, 77, 8, 0.05)]).to(dtype); // [uncond x 2; cond x 2]
            var timesteps = schedule.DdimTimesteps(10);
            using var x = PartialDdimSampler.Sample(new Stub(unet, schedule, dtype), timesteps, noise, new Conditioning(context.alias()), 3.0, 2, 5, CancellationToken.None);
            Assert.Equal(ScalarType.Float32, x.dtype);

            // The same steps written out with the engine's scheduler, x in float32, the model's output rounded as it is.
            using var reference = new DdimScheduler(config);
            reference.SetTimesteps(10);
            var expected = noise.clone();
            using (no_grad())
                for (int i = 2; i < 7; i++)
                {
                    var input = expected.to(dtype);
                    var e = unet.forward(cat([input, input]), full([4], timesteps[i], int64), context).chunk(2);
                    var guided = (e[0] + 3.0 * (e[1] - e[0])).to(float32);
                    var next = reference.Step(guided, timesteps[i], expected);
                    expected.Dispose();
                    expected = next;
                }
            Assert.True(x.equal(expected).all().item<bool>(), $"{prediction}, clip {clip}, {dtype}: the sampler differs from the host scheduler's steps");
            expected.Dispose();
        }
    }

    /// <summary>A loaded model around the stand-in U-Net and a schedule (all the sampler uses).</summary>
    private sealed class Stub(Affine unet, INoiseSchedule schedule, ScalarType dtype) : ILoadedModel
    {
        public string Folder => Path.GetTempPath();
        public string Fingerprint => "stub";
        public string Family => "sd1";
        public Device Device => CPU;
        public ScalarType Dtype => dtype;
        public nn.Module Unet => unet;
        public Tensor Denoise(Tensor sample, Tensor timestep, Conditioning conditioning) => unet.call(sample, timestep, conditioning.HiddenStates);
        public long[] LatentShape => [4, 6, 6];
        public ITextEncoder TextEncoder => throw new NotSupportedException();
        public INoiseSchedule Schedule => schedule;
        public IWeightPatches Patches => throw new NotSupportedException();
    }
}
