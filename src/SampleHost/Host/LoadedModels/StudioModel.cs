using Host.Abstractions;
using SampleHost.Patches;
using DiffusionEngine.Scheduling;
using DiffusionEngine.StableDiffusion;
using TorchSharp;
using static TorchSharp.torch;

namespace SampleHost.LoadedModels;

/// <summary>
/// A loaded Stable Diffusion model as the model cache holds it and plugins see it (<see cref="ILoadedModel"/>):
/// the engine's components, the base-weights fingerprint and the U-Net's weight patches.
/// </summary>
public sealed class StudioModel : ILoadedModel, IDisposable
{
    private readonly WeightPatcher _patches;
    private readonly DdimScheduler _schedule;
    private readonly DdimNoiseSchedule _noiseSchedule;

    public StableDiffusionModel Engine { get; }

    private StudioModel(StableDiffusionModel engine)
    {
        Engine = engine;
        _patches = new WeightPatcher(engine.Unet);
        _schedule = engine.CreateScheduler();
        Fingerprint = TensorFingerprint.Of(engine.Unet.state_dict().Select(kv => (kv.Key, kv.Value)));
        TextEncoder = new PromptEncoder(engine);
        _noiseSchedule = new DdimNoiseSchedule(_schedule);
    }

    /// <summary>The cache's loader: loads the folder's components onto the key's device and dtype.</summary>
    public static ILoadedModel Load(ModelKey key, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        return new StudioModel(StableDiffusionModel.Load(key.Folder, key.TorchDevice, key.Dtype));
    }

    public string Folder => Engine.Folder.Root;
    public string Fingerprint { get; }
    public Device Device => Engine.Device;
    public ScalarType Dtype => Engine.Dtype;
    public nn.Module<Tensor, Tensor, Tensor, Tensor> Unet => Engine.Unet;
    public long[] LatentShape => [Engine.LatentChannels, Engine.ImageSize / Engine.VaeScale, Engine.ImageSize / Engine.VaeScale];
    public ITextEncoder TextEncoder { get; }
    public INoiseSchedule Schedule => _noiseSchedule;
    public IWeightPatches Patches => _patches;

    /// <summary>Counts changes to the live weights (see <see cref="WeightPatcher.Version"/>).</summary>
    public long WeightsVersion => _patches.Version;

    public void Dispose()
    {
        _patches.Dispose();
        _noiseSchedule.Dispose();
        _schedule.Dispose();
        Engine.Dispose();
    }

    private sealed class PromptEncoder(StableDiffusionModel engine) : ITextEncoder
    {
        public Tensor Encode(IReadOnlyList<string> prompts) => engine.EncodePrompts(prompts);
    }
}
