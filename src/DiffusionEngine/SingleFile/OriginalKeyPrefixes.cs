namespace DiffusionEngine.SingleFile;

/// <summary>
/// Where each component's tensors live in a single-file checkpoint of the original code (CompVis LDM for SD 1.x,
/// Stability's SGM for SDXL). Recognition and the key rules use the same prefixes.
/// </summary>
internal static class OriginalKeyPrefixes
{
    /// <summary>The U-Net (<c>UNetModel</c>), in both layouts.</summary>
    public const string Unet = "model.diffusion_model.";

    /// <summary>The VAE (<c>AutoencoderKL</c>), in both layouts.</summary>
    public const string Vae = "first_stage_model.";

    /// <summary>SD 1.x's CLIP ViT-L text encoder, with transformers' <c>CLIPTextModel</c> names below it.</summary>
    public const string Sd1TextEncoder = "cond_stage_model.transformer.";

    /// <summary>SD 2.x's OpenCLIP ViT-H text encoder (recognised only to be refused by name).</summary>
    public const string Sd2TextEncoder = "cond_stage_model.model.";

    /// <summary>SDXL's first text encoder (CLIP ViT-L), with transformers' <c>CLIPTextModel</c> names below it.</summary>
    public const string SdxlTextEncoder = "conditioner.embedders.0.transformer.";

    /// <summary>SDXL's second text encoder (OpenCLIP ViT-bigG), with OpenCLIP's names below it.</summary>
    public const string SdxlTextEncoder2 = "conditioner.embedders.1.model.";

    /// <summary>The SDXL refiner's only text encoder (OpenCLIP ViT-bigG; recognised only to be refused by name).</summary>
    public const string SdxlRefinerTextEncoder = "conditioner.embedders.0.model.";

    /// <summary>Every SGM conditioner (SDXL, SVD, ...).</summary>
    public const string SgmConditioner = "conditioner.";

    /// <summary>The EMA copy of the U-Net and its counters, in checkpoints saved during training; never loaded.</summary>
    public const string Ema = "model_ema.";
}
