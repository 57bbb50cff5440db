using DiffusionEngine.Loading;
using DiffusionEngine.Safetensors;
using DiffusionEngine.Scheduling;
using DiffusionEngine.Text;
using DiffusionEngine.Unet;
using DiffusionEngine.Vae;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionEngine.StableDiffusion;

/// <summary>A Stable Diffusion 1.x-family model loaded from a diffusers-layout folder (or a single-file checkpoint) onto one device and dtype.</summary>
public sealed class StableDiffusionModel : IDisposable
{
    /// <summary>The model folder; for a single-file checkpoint, the folder whose configs built the modules.</summary>
    public required ModelFolder Folder { get; init; }

    /// <summary>The checkpoint the weights came from when loaded by <see cref="LoadSingleFile"/>; null for a folder.</summary>
    public string? SingleFilePath { get; init; }

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

    /// <summary>
    /// Loads a single-file SD 1.x checkpoint in the original layout (<c>.safetensors</c>, as A1111 and ComfyUI use them),
    /// each tensor mapped to its diffusers name while it is copied. The modules come from the configs of the diffusers
    /// folder <paramref name="config"/> (its tokenizer too when it has one), else from Stable Diffusion 1.5's published
    /// configs with the CLIP vocabulary of the product data. Every tensor is checked against those configs before any is
    /// copied: a file that does not fit fails naming each tensor that does not (<see cref="ModelLoadException"/>); pickle
    /// files, SDXL and other families are refused naming the file and why.
    /// </summary>
    public static StableDiffusionModel LoadSingleFile(string file, Device device, ScalarType dtype, string? config = null, Action<string>? onProgress = null) =>
        SingleFileModelLoader.Load(file, device, dtype, config, onProgress);

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
