using Host.Abstractions;
using DiffusionEngine.Scheduling;
using DiffusionEngine.Unet;
using SampleHost.LoadedModels;
using SampleHost.Patches;
using TorchSharp;
using static TorchSharp.torch;

namespace EsdBench;

/// <summary>
/// A loaded-model stand-in around a U-Net with random weights built from a config (e.g. SD 1.5's), with a text
/// encoder that returns fixed random embeddings: enough for ESD's memory and speed, nothing to download.
/// </summary>
internal sealed class RandomUnetModel : ILoadedModel, IDisposable
{
    private readonly UNet2DConditionModel _unet;
    private readonly WeightPatcher _patches;
    private readonly DdimScheduler _scheduler = new(SchedulerConfig.StableDiffusion1);

    public RandomUnetModel(string configPath, int latent)
    {
        _unet = new UNet2DConditionModel(UNetConfig.Load(configPath));
        foreach (var p in _unet.parameters()) p.requires_grad = false;
        _unet.eval();
        _patches = new WeightPatcher(_unet);
        LatentShape = [_unet.Config.InChannels, latent, latent];
        TextEncoder = new RandomText(_unet.Config.CrossAttentionDim[0]);
        Schedule = new DdimNoiseSchedule(_scheduler);
    }

    public long ParameterBytes => _unet.parameters().Sum(p => p.numel() * 4);
    public string Folder => Path.GetTempPath();
    public string Fingerprint => "random";
    public Device Device => CPU;
    public ScalarType Dtype => ScalarType.Float32;
    public nn.Module<Tensor, Tensor, Tensor, Tensor> Unet => _unet;
    public long[] LatentShape { get; }
    public ITextEncoder TextEncoder { get; }
    public INoiseSchedule Schedule { get; }
    public IWeightPatches Patches => _patches;

    public void Dispose()
    {
        _patches.Dispose();
        _scheduler.Dispose();
        _unet.Dispose();
    }

    private sealed class RandomText(long dim) : ITextEncoder
    {
        public Tensor Encode(IReadOnlyList<string> prompts)
        {
            using var g = new Generator((ulong)string.Join("|", prompts).Length);
            return randn([prompts.Count, 77, dim], generator: g);
        }
    }
}
