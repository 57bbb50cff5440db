using DiffusionEngine.Loading;
using DiffusionEngine.Safetensors;
using DiffusionEngine.Scheduling;
using DiffusionEngine.Text;
using DiffusionEngine.Unet;
using DiffusionEngine.Vae;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionEngine.StableDiffusion;

/// <summary>A Stable Diffusion 1.x-family model loaded from a diffusers-layout folder onto one device and dtype.</summary>
public sealed class StableDiffusionModel : IDisposable
{
    public required ModelFolder Folder { get; init; }
    public required ClipTokenizer Tokenizer { get; init; }
    public required ClipTextModel TextEncoder { get; init; }
    public required UNet2DConditionModel Unet { get; init; }
    public required AutoencoderKL Vae { get; init; }
    public required SchedulerConfig SchedulerConfig { get; init; }
    public required Device Device { get; init; }
    public required ScalarType Dtype { get; init; }
    public required IReadOnlyList<LoadReport> Reports { get; init; }

    /// <summary>Image side in pixels at the model's default size (the VAE's sample_size).</summary>
    public int ImageSize => Vae.Config.SampleSize[0];

    public int LatentChannels => Vae.Config.LatentChannels;

    public int VaeScale => Vae.Config.DownscaleFactor;

    /// <summary>
    /// Loads every component, failing with a message that names each missing, unexpected or mismatched tensor.
    /// Weights go from the memory-mapped files straight into the modules (converted to <paramref name="dtype"/>).
    /// </summary>
    public static StableDiffusionModel Load(string folder, Device device, ScalarType dtype, string? variant = null, Action<string>? onProgress = null)
    {
        var f = ModelFolder.Open(folder, variant);
        var disposables = new List<IDisposable>();
        try
        {
            onProgress?.Invoke("tokenizer");
            var tokenizer = ClipTokenizer.FromFolder(f.ComponentFolder(ModelFolder.Tokenizer));
            var schedulerConfig = SchedulerConfig.Load(f.ConfigPath(ModelFolder.Scheduler));

            onProgress?.Invoke("text encoder");
            var text = new ClipTextModel(ClipTextConfig.Load(f.ConfigPath(ModelFolder.TextEncoder)));
            disposables.Add(text);
            var textReport = LoadInto(f, ModelFolder.TextEncoder, text, device, dtype, optional: ClipTextModel.OptionalTensors);

            onProgress?.Invoke("unet");
            var unet = new UNet2DConditionModel(UNetConfig.Load(f.ConfigPath(ModelFolder.Unet)));
            disposables.Add(unet);
            var unetReport = LoadInto(f, ModelFolder.Unet, unet, device, dtype);

            onProgress?.Invoke("vae");
            var vae = new AutoencoderKL(VaeConfig.Load(f.ConfigPath(ModelFolder.Vae)));
            disposables.Add(vae);
            var vaeReport = LoadInto(f, ModelFolder.Vae, vae, device, dtype, rename: AutoencoderKL.MapLegacyName);

            return new StableDiffusionModel
            {
                Folder = f, Tokenizer = tokenizer, TextEncoder = text, Unet = unet, Vae = vae,
                SchedulerConfig = schedulerConfig, Device = device, Dtype = dtype,
                Reports = [textReport, unetReport, vaeReport],
            };
        }
        catch
        {
            foreach (var d in disposables) d.Dispose();
            throw;
        }
    }

    private static LoadReport LoadInto(ModelFolder f, string component, nn.Module module, Device device, ScalarType dtype,
        Func<string, string>? rename = null, IReadOnlySet<string>? optional = null)
    {
        module.to(device, dtype);
        module.eval();
        foreach (var p in module.parameters()) p.requires_grad = false;
        using var file = SafetensorsFile.Open(f.WeightsPath(component));
        return WeightLoader.Load(component, module, file, rename, optional);
    }

    /// <summary>Prompt embeddings [B, 77, D] on the model's device and dtype.</summary>
    public Tensor EncodePrompts(IReadOnlyList<string> prompts)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var ids = Tokenizer.EncodeBatch(prompts).to(Device);
        return TextEncoder.forward(ids).MoveToOuterDisposeScope();
    }

    public DdimScheduler CreateScheduler() => new(SchedulerConfig);

    /// <summary>Images [B, 3, H, W] in [-1, 1] from unscaled latents.</summary>
    public Tensor DecodeLatents(Tensor latents)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return Vae.Decode(latents / Vae.Config.ScalingFactor).clamp(-1, 1).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        TextEncoder.Dispose();
        Unet.Dispose();
        Vae.Dispose();
    }
}
