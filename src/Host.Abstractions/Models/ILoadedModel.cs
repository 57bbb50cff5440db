using TorchSharp;
using static TorchSharp.torch;

namespace Host.Abstractions;

/// <summary>A Stable Diffusion model the host has loaded (SD 1.x or SDXL), as a plugin sees it.</summary>
public interface ILoadedModel
{
    /// <summary>The model's folder or file. Plugins may read their own per-model files beside it.</summary>
    string Folder { get; }

    /// <summary>Hash of the base weights as loaded (before any patch): identifies "this base".</summary>
    string Fingerprint { get; }

    /// <summary>The model family: <c>"sd1"</c> (SD 1.x) or <c>"sdxl"</c>. Added in contract 2.0.</summary>
    string Family { get; }

    /// <summary>Compute device.</summary>
    Device Device { get; }

    /// <summary>Compute dtype of the denoiser's weights.</summary>
    ScalarType Dtype { get; }

    /// <summary>
    /// The live denoiser (a diffusers <c>UNet2DConditionModel</c>) as a module: its parameters by diffusers name (what
    /// edits replace), its submodules (hook points) and its train/eval state. Run it with <see cref="Denoise"/>.
    /// </summary>
    nn.Module Unet { get; }

    /// <summary>
    /// The noise prediction [B, C, H, W] for <paramref name="sample"/> [B, C, H, W] (model dtype) at
    /// <paramref name="timestep"/> (int64 or float [B]) under <paramref name="conditioning"/> (batch B), through the
    /// denoiser's call path, so forward hooks see it. Gradients flow when enabled. Added in contract 2.0.
    /// </summary>
    Tensor Denoise(Tensor sample, Tensor timestep, Conditioning conditioning);

    /// <summary>
    /// Images [B, 3, H, W] in [-1, 1] (float32, on the CPU) from latents [B, C, h, w] as the sampler leaves them
    /// (unscaled): the VAE decode, for pictures of what a command found. Added in contract 2.3.
    /// </summary>
    Tensor DecodeLatents(Tensor latents) => throw new NotSupportedException("this host cannot decode latents for plugins");

    /// <summary>Latent shape of one image at the model's default size: [C, H, W].</summary>
    long[] LatentShape { get; }

    /// <summary>Prompt conditioning from the model's frozen text encoder(s).</summary>
    ITextEncoder TextEncoder { get; }

    /// <summary>The model's noise schedule.</summary>
    INoiseSchedule Schedule { get; }

    /// <summary>In-place weight patches of the denoiser, restorable bit for bit.</summary>
    IWeightPatches Patches { get; }

    /// <summary>
    /// A denoiser parameter's name in the original single-file layout (LDM/SGM <c>UNetModel</c>, without
    /// <c>model.diffusion_model.</c>), as LoRA files for other hosts name layers; null when the host cannot tell.
    /// Added in contract 2.2.
    /// </summary>
    string? OriginalUnetName(string parameterName) => null;

    /// <summary>
    /// Writes the base model (every component as loaded, whatever patch is live) with its denoiser set as
    /// <see cref="IWeightPatches.Apply(IReadOnlyList{PatchPart}, string)"/> would set it from <paramref name="unetEdits"/>,
    /// as a diffusers folder or a single file, with <paramref name="metadata"/> in every weights file; written whole or not
    /// at all, refusing an existing <paramref name="path"/> unless <paramref name="overwrite"/>. Needs a lease.
    /// Added in contract 2.2.
    /// </summary>
    void Export(string path, ModelFileLayout layout, IReadOnlyList<PatchPart> unetEdits, IReadOnlyDictionary<string, string> metadata, bool overwrite) =>
        throw new NotSupportedException("this host cannot write models");
}
