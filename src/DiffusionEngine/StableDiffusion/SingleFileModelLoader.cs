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
/// Loads a single-file checkpoint, SD 1.x (LDM layout) or SDXL base (SGM layout): modules built from a diffusers folder's
/// configs (by default the family's published ones: SD 1.5's or SDXL base 1.0's), each tensor mapped to its source in
/// the file while it is copied. Every component is checked against the file before anything is copied, so a file that
/// does not fit its configs fails naming each tensor that does not.
/// </summary>
internal static class SingleFileModelLoader
{
    public static StableDiffusionModel Load(string path, Device device, ScalarType dtype, string? config, Action<string>? onProgress)
    {
        using var checkpoint = SingleFileCheckpoint.Open(path);
        var family = FamilyOf(checkpoint.Family);
        bool xl = family == ModelFamily.StableDiffusionXL;
        var configs = ConfigFolder(config, checkpoint.Family);
        var hint = $"Checked against the configs in {configs.Root}" + (config is null
            ? $" ({(xl ? "SDXL base 1.0" : "Stable Diffusion 1.5")}'s; give the configs of the model's diffusers folder for another shape)" : "");
        // The family's configs first: SD 1.x configs for an SDXL file would otherwise fail on a missing text_encoder_2.
        var unetConfig = UNetConfig.Load(configs.ConfigPath(ModelFolder.Unet));
        if (unetConfig.UsesTextTime != xl)
            throw new ModelLoadException($"{checkpoint.Path}: an {checkpoint.Family.Title()} checkpoint, but the U-Net config {configs.ConfigPath(ModelFolder.Unet)} " +
                (xl ? "takes no added conditions (SDXL's addition_embed_type \"text_time\")" : "takes SDXL's added conditions (addition_embed_type \"text_time\")") +
                ": give the configs of this model's family");
        var disposables = new List<IDisposable>();
        try
        {
            onProgress?.Invoke("tokenizer");
            var tokenizer = TokenizerFor(configs, ModelFolder.Tokenizer);
            var tokenizer2 = xl ? TokenizerFor(configs, ModelFolder.Tokenizer2) : null;
            var schedulerConfig = SchedulerConfig.Load(configs.ConfigPath(ModelFolder.Scheduler));

            onProgress?.Invoke("text encoder");
            var text = Prepared(new ClipTextModel(ClipTextConfig.Load(configs.ConfigPath(ModelFolder.TextEncoder))), device, dtype, disposables);
            var text2 = xl ? Prepared(new ClipTextModelWithProjection(ClipTextConfig.Load(configs.ConfigPath(ModelFolder.TextEncoder2))), device, dtype, disposables) : null;

            onProgress?.Invoke("unet");
            var unet = Prepared(new UNet2DConditionModel(unetConfig), device, dtype, disposables);

            onProgress?.Invoke("vae");
            var vaeConfig = VaeConfig.Load(configs.ConfigPath(ModelFolder.Vae));
            var vae = Prepared(new AutoencoderKL(vaeConfig), device, StableDiffusionModel.VaeDtypeFor(family, dtype, vaeConfig), disposables);

            var modules = new Dictionary<string, nn.Module> { [ModelFolder.TextEncoder] = text, [ModelFolder.Unet] = unet, [ModelFolder.Vae] = vae };
            if (text2 is not null) modules[ModelFolder.TextEncoder2] = text2;
            var reports = SingleFileModules.Load(checkpoint, LayoutFor(checkpoint.Family, unetConfig, vaeConfig), modules, hint);
            return new StableDiffusionModel
            {
                Folder = configs, Family = family, SingleFilePath = checkpoint.Path,
                Tokenizer = tokenizer, TextEncoder = text, Tokenizer2 = tokenizer2, TextEncoder2 = text2, Unet = unet, Vae = vae,
                SchedulerConfig = schedulerConfig, Device = device, Dtype = dtype, Reports = reports,
                ForceZerosForEmptyPrompt = xl && configs.IndexFlag("force_zeros_for_empty_prompt", true),
            };
        }
        catch
        {
            foreach (var d in disposables) d.Dispose();
            throw;
        }
    }

    public static ModelFamily FamilyOf(CheckpointFamily family) => family switch
    {
        CheckpointFamily.StableDiffusion1 => ModelFamily.StableDiffusion1,
        CheckpointFamily.StableDiffusionXL => ModelFamily.StableDiffusionXL,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "no model family for this checkpoint family"),
    };

    /// <summary>The folder whose configs describe the checkpoint's modules: the one given, else the family's published ones (product data).</summary>
    public static ModelFolder ConfigFolder(string? config, CheckpointFamily family) =>
        ModelFolder.Open(config ?? (family == CheckpointFamily.StableDiffusionXL ? ProductData.SdxlConfigs : ProductData.Sd15Configs));

    /// <summary>The key layout of the family's single files for the configs in <paramref name="configs"/>.</summary>
    public static SingleFileLayout LayoutFor(CheckpointFamily family, ModelFolder configs) =>
        LayoutFor(family, UNetConfig.Load(configs.ConfigPath(ModelFolder.Unet)), VaeConfig.Load(configs.ConfigPath(ModelFolder.Vae)));

    /// <summary>The key layout that the configs give the U-Net and VAE.</summary>
    public static SingleFileLayout LayoutFor(CheckpointFamily family, UNetConfig unet, VaeConfig vae) => family == CheckpointFamily.StableDiffusionXL
        ? SingleFileLayout.StableDiffusionXL(UNetLayout.From(unet), vae.BlockOutChannels.Count)
        : SingleFileLayout.StableDiffusion1(UNetLayout.From(unet), vae.BlockOutChannels.Count);

    /// <summary>
    /// The config folder's own tokenizer when it has its vocabulary files; else the CLIP vocabulary every SD 1.x and SDXL
    /// tokenizer uses (product data) with the folder's pad token (SDXL's second pads with "!"), since single files carry
    /// no tokenizer and the published configs hold only the tokenizers' settings.
    /// </summary>
    public static ClipTokenizer TokenizerFor(ModelFolder configs, string component)
    {
        var own = configs.ComponentFolder(component);
        return File.Exists(Path.Combine(own, ClipTokenizer.VocabFileName)) && File.Exists(Path.Combine(own, ClipTokenizer.MergesFileName))
            ? ClipTokenizer.FromFolder(own)
            : ClipTokenizer.FromFiles(Path.Combine(ProductData.ClipBpe, ClipTokenizer.VocabFileName), Path.Combine(ProductData.ClipBpe, ClipTokenizer.MergesFileName),
                padToken: Directory.Exists(own) ? ClipTokenizer.PadTokenIn(own) : null);
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
