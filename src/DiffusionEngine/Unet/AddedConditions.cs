using static TorchSharp.torch;

namespace DiffusionEngine.Unet;

/// <summary>
/// diffusers' <c>added_cond_kwargs</c> of a "text_time" U-Net (SDXL): the second text encoder's projected pooled
/// embeddings <see cref="TextEmbeds"/> [B, P] and the micro-conditioning <see cref="TimeIds"/> [B, 6]
/// (original height, width, crop top, crop left, target height, width), in that order.
/// </summary>
public sealed record AddedConditions(Tensor TextEmbeds, Tensor TimeIds);
