using TorchSharp;
using static TorchSharp.torch;

namespace Host.Abstractions;

/// <summary>A Stable Diffusion 1.x-family model the host has loaded, as a plugin sees it.</summary>
public interface ILoadedModel
{
    /// <summary>The model's folder (diffusers layout). Plugins may read their own per-model files there.</summary>
    string Folder { get; }

    /// <summary>Hash of the base weights as loaded (before any patch): identifies "this base".</summary>
    string Fingerprint { get; }

    /// <summary>Compute device.</summary>
    Device Device { get; }

    /// <summary>Compute dtype of the U-Net's weights.</summary>
    ScalarType Dtype { get; }

    /// <summary>
    /// The live U-Net: forward(sample [B,C,H,W], timestep int64 [B], encoder_hidden_states [B,77,D]) -> noise
    /// prediction [B,C,H,W]. Parameter names are diffusers' <c>UNet2DConditionModel</c> names.
    /// </summary>
    nn.Module<Tensor, Tensor, Tensor, Tensor> Unet { get; }

    /// <summary>Latent shape of one image at the model's default size: [C, H, W].</summary>
    long[] LatentShape { get; }

    /// <summary>Prompt embeddings from the model's frozen text encoder.</summary>
    ITextEncoder TextEncoder { get; }

    /// <summary>The model's noise schedule.</summary>
    INoiseSchedule Schedule { get; }

    /// <summary>In-place weight patches of the U-Net, restorable bit for bit.</summary>
    IWeightPatches Patches { get; }
}
