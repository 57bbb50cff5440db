using Host.Abstractions;
using DiffusionEngine.Scheduling;
using DiffusionEngine.Unet;
using SampleHost.LoadedModels;
using SampleHost.Patches;
using TorchSharp;
using static TorchSharp.torch;

namespace EsdBench;

/// <summary>
/// A loaded-model stand-in around a U-Net with random weights built from a config (SD 1.5's, SDXL's), with a text
/// encoder that returns fixed random conditioning (SDXL: also pooled embeddings and time ids): enough for ESD's memory
/// and speed, nothing to download.
/// </summary>
internal sealed class RandomUnetModel : ILoadedModel, IDisposable
{
    private readonly UNet2DConditionModel _unet;
    private readonly WeightPatcher _patches;
    private readonly DdimScheduler _scheduler = new(SchedulerConfig.StableDiffusion1);

    public RandomUnetModel(string configPath, int latent, ScalarType dtype = ScalarType.Float32)
    {
        _unet = new UNet2DConditionModel(UNetConfig.Load(configPath));
        if (dtype != ScalarType.Float32) _unet.to(dtype);
        Dtype = dtype;
        foreach (var p in _unet.parameters()) p.requires_grad = false;
        _unet.eval();
        _patches = new WeightPatcher(_unet);
        LatentShape = [_unet.Config.InChannels, latent, latent];
        var c = _unet.Config;
        TextEncoder = new RandomText(dtype, c.CrossAttentionDim[0],
            c.UsesTextTime ? c.ProjectionClassEmbeddingsInputDim!.Value - 6 * c.AdditionTimeEmbedDim!.Value : null, latent * 8);
        Schedule = new DdimNoiseSchedule(_scheduler);
    }

    public long ParameterBytes => _unet.parameters().Sum(p => p.numel() * p.element_size());
    public string Folder => Path.GetTempPath();
    public string Fingerprint => "random";
    public string Family => _unet.Config.UsesTextTime ? "sdxl" : "sd1";
    public Device Device => CPU;
    public ScalarType Dtype { get; }
    public nn.Module Unet => _unet;

    public Tensor Denoise(Tensor sample, Tensor timestep, Conditioning conditioning) =>
        _unet.call(sample, timestep, conditioning.HiddenStates,
            _unet.Config.UsesTextTime ? new AddedConditions(conditioning.Added["text_embeds"], conditioning.Added["time_ids"]) : null);

    public long[] LatentShape { get; }
    public ITextEncoder TextEncoder { get; }
    public INoiseSchedule Schedule { get; }
    public IWeightPatches Patches => _patches;

    public void Dispose()
    {
        _patches.Dispose();
        (Schedule as IDisposable)?.Dispose();
        _scheduler.Dispose();
        _unet.Dispose();
    }

    /// <param name="pooled">SDXL's pooled width (null: SD 1.x, no added conditions).</param>
    private sealed class RandomText(ScalarType dtype, long dim, long? pooled, int imageSize) : ITextEncoder
    {
        public Conditioning Encode(IReadOnlyList<string> prompts)
        {
            using var g = new Generator((ulong)string.Join("|", prompts).Length);
            var hidden = randn([prompts.Count, 77, dim], generator: g).to(dtype);
            if (pooled is not { } p) return new Conditioning(hidden);
            var ids = tensor(Enumerable.Repeat(new float[] { imageSize, imageSize, 0, 0, imageSize, imageSize }, prompts.Count).SelectMany(r => r).ToArray(),
                [prompts.Count, 6], ScalarType.Float32);
            return new Conditioning(hidden, new Dictionary<string, Tensor> { ["text_embeds"] = randn([prompts.Count, p], generator: g).to(dtype), ["time_ids"] = ids.to(dtype) });
        }
    }
}
