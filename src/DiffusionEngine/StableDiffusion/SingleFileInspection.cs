using DiffusionEngine.Loading;
using DiffusionEngine.SingleFile;
using DiffusionEngine.Unet;
using DiffusionEngine.Vae;

namespace DiffusionEngine.StableDiffusion;

/// <summary>
/// <see cref="ModelInspection.Inspect"/> for a single-file checkpoint: the family from its keys, each SD 1.x component's
/// module built from the configs (on the meta device) and checked through the key mapping against the file's header,
/// and the tensors outside every component. SDXL files are recognised, their components reported as not built yet.
/// </summary>
internal static class SingleFileInspection
{
    public static ModelInspectionReport Inspect(string path, string? config)
    {
        // Refusals (pickles, other families, malformed files) throw, as a folder that cannot be opened does.
        using var checkpoint = SingleFileCheckpoint.Open(path);
        var file = checkpoint.File;
        if (checkpoint.Family == CheckpointFamily.StableDiffusionXL)
        {
            var layout = SdxlSingleFile.Layout(config);
            return Report(checkpoint, config ?? ProductData.SdxlConfigs, layout, layout.Components.Select(rules => NotBuilt(checkpoint, rules)).ToList());
        }

        var folder = SingleFileModelLoader.ConfigFolder(config);
        // The key layout needs the U-Net's and the VAE's block structure, which their builds read from the configs.
        UNetLayout? unet = null;
        int vaeLevels = 0;
        var components = new List<ComponentInspection>
        {
            Component(checkpoint, folder, ModelFolder.Unet, "UNet2DConditionModel", p =>
            {
                unet = UNetLayout.From(UNetConfig.Load(p));
                return (ModelInspection.BuildUnet(p), new UNetKeyRules(unet));
            }),
            Component(checkpoint, folder, ModelFolder.TextEncoder, "CLIPTextModel", p =>
                (ModelInspection.BuildTextEncoder(p), new ClipKeyRules(ModelFolder.TextEncoder, OriginalKeyPrefixes.Sd1TextEncoder))),
            Component(checkpoint, folder, ModelFolder.Vae, "AutoencoderKL", p =>
            {
                vaeLevels = VaeConfig.Load(p).BlockOutChannels.Count;
                return (ModelInspection.BuildVae(p), new VaeKeyRules(vaeLevels));
            }),
        };
        // Which keys belong to a component depends only on the prefixes; any structure does when a config failed.
        var sd1 = SingleFileLayout.StableDiffusion1(unet ?? UNetLayout.From(new UNetConfig()), Math.Max(vaeLevels, 1));
        return Report(checkpoint, folder.Root, sd1, components);
    }

    private static ModelInspectionReport Report(SingleFileCheckpoint checkpoint, string configs, SingleFileLayout layout, IReadOnlyList<ComponentInspection> components) => new()
    {
        Path = checkpoint.Path,
        Layout = ModelInspectionReport.SingleFile,
        Family = checkpoint.Family.Word(),
        ConfigFolder = Path.GetFullPath(configs),
        Components = components,
        Unexpected = layout.Unclaimed(checkpoint.File),
        Ignored = layout.IgnoredOutsideComponents(checkpoint.File)
            .Concat(checkpoint.File.Entries.Keys.Where(k => layout.Owner(k) is { } owner && owner.IsIgnorable(k)))
            .Order(StringComparer.Ordinal).ToList(),
    };

    private static ComponentInspection Component(SingleFileCheckpoint checkpoint, ModelFolder configs, string component, string className,
        Func<string, (ModelInspection.ComponentBuild Build, ComponentKeyRules Rules)> build)
    {
        try
        {
            var (built, rules) = build(configs.ConfigPath(component));
            using var module = built.Module;
            long parameters = module.parameters().Sum(p => p.numel());
            var mapping = ComponentMapping.Plan(rules, checkpoint.File, TargetTensor.Of(module));
            var dtype = ModelInspection.MainDtype(mapping.Sources.Values.Select(s => checkpoint.File.Entries[s.Key]));
            return new ComponentInspection(component, className, built.Config, parameters, dtype, checkpoint.Path, checkpoint.File.FileLength, mapping.Report, null);
        }
        catch (Exception e) when (ModelInspection.IsComponentError(e))
        {
            return new ComponentInspection(component, className, new Dictionary<string, object?>(), 0, null, checkpoint.Path,
                checkpoint.File.FileLength, new LoadReport(component, [], [], []), e.Message);
        }
    }

    private static ComponentInspection NotBuilt(SingleFileCheckpoint checkpoint, ComponentKeyRules rules)
    {
        var dtype = ModelInspection.MainDtype(checkpoint.File.Entries.Values.Where(e => e.Name.StartsWith(rules.Prefix, StringComparison.Ordinal)));
        var className = rules.Component switch
        {
            ModelFolder.Unet => "UNet2DConditionModel",
            ModelFolder.Vae => "AutoencoderKL",
            ModelFolder.TextEncoder => "CLIPTextModel",
            _ => "CLIPTextModelWithProjection",
        };
        return new ComponentInspection(rules.Component, className, new Dictionary<string, object?>(), 0, dtype, checkpoint.Path,
            checkpoint.File.FileLength, new LoadReport(rules.Component, [], [], []),
            $"{checkpoint.Path}: the SDXL {rules.Component} ('{rules.Prefix}*') is recognised and its keys mapped, but this engine does not build SDXL modules yet");
    }
}
