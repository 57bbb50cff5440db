using DiffusionEngine.Safetensors;

namespace DiffusionEngine.SingleFile;

/// <summary>
/// The key layout of one family's single-file checkpoints for one set of configs: each component's rules, and the
/// tensors the original code saves beside the components that loading leaves alone.
/// </summary>
internal sealed class SingleFileLayout
{
    /// <summary>
    /// The noise schedule LDM's DDPM class registers as buffers (saved in SD 1.x files, diffusers recomputes it from the
    /// scheduler config).
    /// </summary>
    public static readonly IReadOnlySet<string> ScheduleBuffers = new HashSet<string>(StringComparer.Ordinal)
    {
        "betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod", "sqrt_one_minus_alphas_cumprod",
        "log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod", "sqrt_recipm1_alphas_cumprod", "posterior_variance",
        "posterior_log_variance_clipped", "posterior_mean_coef1", "posterior_mean_coef2",
    };

    private SingleFileLayout(CheckpointFamily family, IReadOnlyList<ComponentKeyRules> components)
    {
        Family = family;
        Components = components;
    }

    public CheckpointFamily Family { get; }

    /// <summary>One entry per diffusers component, in the order a pipeline loads them.</summary>
    public IReadOnlyList<ComponentKeyRules> Components { get; }

    /// <summary>SD 1.x: CLIP ViT-L text encoder, U-Net (LDM), VAE.</summary>
    public static SingleFileLayout StableDiffusion1(UNetLayout unet, int vaeLevels) => new(CheckpointFamily.StableDiffusion1,
    [
        new ClipKeyRules("text_encoder", OriginalKeyPrefixes.Sd1TextEncoder),
        new UNetKeyRules(unet),
        new VaeKeyRules(vaeLevels),
    ]);

    /// <summary>SDXL base: CLIP ViT-L and OpenCLIP bigG text encoders, U-Net (SGM), VAE.</summary>
    public static SingleFileLayout StableDiffusionXL(UNetLayout unet, int vaeLevels) => new(CheckpointFamily.StableDiffusionXL,
    [
        new ClipKeyRules("text_encoder", OriginalKeyPrefixes.SdxlTextEncoder),
        new OpenClipKeyRules("text_encoder_2", OriginalKeyPrefixes.SdxlTextEncoder2),
        new UNetKeyRules(unet),
        new VaeKeyRules(vaeLevels),
    ]);

    public ComponentKeyRules Component(string component) =>
        Components.FirstOrDefault(c => c.Component == component)
        ?? throw new ArgumentException($"{Family.Title()} single files have no component '{component}' (they have {string.Join(", ", Components.Select(c => c.Component))})", nameof(component));

    /// <summary>The component whose tensors start with <paramref name="fileKey"/>'s prefix, or null.</summary>
    public ComponentKeyRules? Owner(string fileKey) =>
        Components.FirstOrDefault(c => fileKey.StartsWith(c.Prefix, StringComparison.Ordinal));

    /// <summary>Keys outside every component that loading leaves alone: the schedule buffers and the EMA copy.</summary>
    public static bool IsIgnorableOutsideComponents(string fileKey) =>
        ScheduleBuffers.Contains(fileKey) || fileKey.StartsWith(OriginalKeyPrefixes.Ema, StringComparison.Ordinal);

    /// <summary>The file's keys that belong to no component and are not ignorable: unexpected, sorted.</summary>
    public IReadOnlyList<string> Unclaimed(SafetensorsFile file) =>
        file.Entries.Keys.Where(k => Owner(k) is null && !IsIgnorableOutsideComponents(k)).Order(StringComparer.Ordinal).ToList();

    /// <summary>The file's keys outside every component that loading leaves alone, sorted.</summary>
    public IReadOnlyList<string> IgnoredOutsideComponents(SafetensorsFile file) =>
        file.Entries.Keys.Where(k => Owner(k) is null && IsIgnorableOutsideComponents(k)).Order(StringComparer.Ordinal).ToList();
}
