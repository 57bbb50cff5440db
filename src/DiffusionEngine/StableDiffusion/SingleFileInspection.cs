using DiffusionEngine.Loading;
using DiffusionEngine.SingleFile;
using DiffusionEngine.Unet;
using DiffusionEngine.Vae;

namespace DiffusionEngine.StableDiffusion;

/// <summary>
/// <see cref="ModelInspection.Inspect"/> for a single-file checkpoint: the family from its keys, each component's module
/// built from the configs (the family's published ones by default) on the meta device and checked through the key
/// mapping against the file's header, and the tensors outside every component.
/// </summary>
internal static class SingleFileInspection
{
    public static ModelInspectionReport Inspect(string path, string? config)
    {
        // Refusals (pickles, other families, malformed files) throw, as a folder that cannot be opened does.
        using var checkpoint = SingleFileCheckpoint.Open(path);
        bool xl = checkpoint.Family == CheckpointFamily.StableDiffusionXL;
        var folder = SingleFileModelLoader.ConfigFolder(config, checkpoint.Family);
        // The key layout needs the U-Net's and the VAE's block structure, which their builds read from the configs; which
        // keys belong to a component depends only on the prefixes, so any structure does for that when a config failed.
        UNetLayout? unet = null;
        int vaeLevels = 0;
        SingleFileLayout Layout() => xl
            ? SingleFileLayout.StableDiffusionXL(unet ?? UNetLayout.From(new UNetConfig()), Math.Max(vaeLevels, 1))
            : SingleFileLayout.StableDiffusion1(unet ?? UNetLayout.From(new UNetConfig()), Math.Max(vaeLevels, 1));

        var components = new List<ComponentInspection>
        {
            Component(checkpoint, folder, ModelFolder.Unet, "UNet2DConditionModel", p =>
            {
                unet = UNetLayout.From(UNetConfig.Load(p));
                return (ModelInspection.BuildUnet(p), Layout().Component(ModelFolder.Unet));
            }),
            Component(checkpoint, folder, ModelFolder.TextEncoder, "CLIPTextModel", p =>
                (ModelInspection.BuildTextEncoder(p), Layout().Component(ModelFolder.TextEncoder))),
        };
        if (xl)
            components.Add(Component(checkpoint, folder, ModelFolder.TextEncoder2, "CLIPTextModelWithProjection", p =>
                (ModelInspection.BuildTextEncoderWithProjection(p), Layout().Component(ModelFolder.TextEncoder2))));
        components.Add(Component(checkpoint, folder, ModelFolder.Vae, "AutoencoderKL", p =>
        {
            vaeLevels = VaeConfig.Load(p).BlockOutChannels.Count;
            return (ModelInspection.BuildVae(p), Layout().Component(ModelFolder.Vae));
        }));
        return Report(checkpoint, folder.Root, Layout(), components);
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
}
