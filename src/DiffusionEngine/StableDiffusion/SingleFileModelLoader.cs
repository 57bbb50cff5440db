using DiffusionEngine.Loading;
using DiffusionEngine.Scheduling;
using DiffusionEngine.SingleFile;
using DiffusionEngine.Text;
using DiffusionEngine.Unet;
using DiffusionEngine.Vae;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionEngine.StableDiffusion;

/// <summary>
/// Loads an SD 1.x single-file checkpoint (LDM layout): modules built from a diffusers folder's configs (SD 1.5's by
/// default), each tensor mapped to its source in the file while it is copied. Every component is checked against the
/// file before anything is copied, so a file that does not fit its configs fails naming each tensor that does not.
/// </summary>
internal static class SingleFileModelLoader
{
    public static StableDiffusionModel Load(string path, Device device, ScalarType dtype, string? config, Action<string>? onProgress)
    {
        using var checkpoint = SingleFileCheckpoint.Open(path);
        if (checkpoint.Family != CheckpointFamily.StableDiffusion1)
            throw new ModelLoadException($"{checkpoint.Path}: an {checkpoint.Family.Title()} checkpoint: this engine builds Stable Diffusion 1.x models only so far (SDXL is recognised and mapped, not loaded)");
        var configs = ConfigFolder(config);
        var disposables = new List<IDisposable>();
        try
        {
            onProgress?.Invoke("tokenizer");
            var tokenizer = TokenizerFor(configs);
            var schedulerConfig = SchedulerConfig.Load(configs.ConfigPath(ModelFolder.Scheduler));

            onProgress?.Invoke("text encoder");
            var text = Prepared(new ClipTextModel(ClipTextConfig.Load(configs.ConfigPath(ModelFolder.TextEncoder))), device, dtype, disposables);
            onProgress?.Invoke("unet");
            var unetConfig = UNetConfig.Load(configs.ConfigPath(ModelFolder.Unet));
            var unet = Prepared(new UNet2DConditionModel(unetConfig), device, dtype, disposables);
            onProgress?.Invoke("vae");
            var vae = Prepared(new AutoencoderKL(VaeConfig.Load(configs.ConfigPath(ModelFolder.Vae))), device, dtype, disposables);

            var layout = LayoutFor(unetConfig, vae.Config);
            var reports = SingleFileModules.Load(checkpoint, layout,
                new Dictionary<string, nn.Module> { [ModelFolder.TextEncoder] = text, [ModelFolder.Unet] = unet, [ModelFolder.Vae] = vae },
                $"Checked against the configs in {configs.Root}" +
                (config is null ? " (Stable Diffusion 1.5's; give the configs of the model's diffusers folder for another shape)" : ""));
            return new StableDiffusionModel
            {
                Folder = configs, SingleFilePath = checkpoint.Path, Tokenizer = tokenizer, TextEncoder = text, Unet = unet, Vae = vae,
                SchedulerConfig = schedulerConfig, Device = device, Dtype = dtype, Reports = reports,
            };
        }
        catch
        {
            foreach (var d in disposables) d.Dispose();
            throw;
        }
    }

    /// <summary>The folder whose configs describe the checkpoint's modules: the one given, else SD 1.5's (product data).</summary>
    public static ModelFolder ConfigFolder(string? config) => ModelFolder.Open(config ?? ProductData.Sd15Configs);

    /// <summary>The key layout that the configs give the U-Net and VAE.</summary>
    public static SingleFileLayout LayoutFor(UNetConfig unet, VaeConfig vae) =>
        SingleFileLayout.StableDiffusion1(UNetLayout.From(unet), vae.BlockOutChannels.Count);

    /// <summary>
    /// The config folder's own tokenizer when it has its vocabulary files; else the CLIP vocabulary every SD 1.x model
    /// uses (product data), since single files carry no tokenizer and SD 1.5's configs have none either.
    /// </summary>
    public static ClipTokenizer TokenizerFor(ModelFolder configs)
    {
        var own = configs.ComponentFolder(ModelFolder.Tokenizer);
        return File.Exists(Path.Combine(own, ClipTokenizer.VocabFileName)) && File.Exists(Path.Combine(own, ClipTokenizer.MergesFileName))
            ? ClipTokenizer.FromFolder(own)
            : ClipTokenizer.FromFolder(ProductData.ClipBpe);
    }

    private static T Prepared<T>(T module, Device device, ScalarType dtype, List<IDisposable> disposables) where T : nn.Module
    {
        disposables.Add(module);
        module.to(device, dtype);
        module.eval();
        foreach (var p in module.parameters()) p.requires_grad = false;
        return module;
    }
}
