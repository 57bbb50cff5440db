using DiffusionEngine.Unet;
using static TorchSharp.torch;

namespace DiffusionEngine.StableDiffusion;

/// <summary>
/// What the U-Net is conditioned on for a batch of prompts: the text encoders' hidden states [B, 77, D] and, for SDXL,
/// the added conditions (pooled text embeddings [B, P], time ids [B, 6]). Disposing disposes the tensors.
/// </summary>
public sealed class PromptConditioning(Tensor hiddenStates, AddedConditions? added) : IDisposable
{
    public Tensor HiddenStates { get; } = hiddenStates;
    public AddedConditions? Added { get; } = added;
    public long Batch => HiddenStates.shape[0];

    /// <summary>The conditionings one after the other along the batch (as classifier-free guidance runs [uncond; cond]).</summary>
    public static PromptConditioning Cat(params PromptConditioning[] parts) => new(
        cat(parts.Select(p => p.HiddenStates).ToList()),
        parts[0].Added is null ? null : new AddedConditions(
            cat(parts.Select(p => p.Added!.TextEmbeds).ToList()), cat(parts.Select(p => p.Added!.TimeIds).ToList())));

    /// <summary>A batch-1 conditioning repeated <paramref name="batch"/> times (views, no copy).</summary>
    public PromptConditioning Expand(long batch) => new(
        HiddenStates.expand(batch, -1, -1),
        Added is null ? null : new AddedConditions(Added.TextEmbeds.expand(batch, -1), Added.TimeIds.expand(batch, -1)));

    public void Dispose()
    {
        HiddenStates.Dispose();
        Added?.TextEmbeds.Dispose();
        Added?.TimeIds.Dispose();
    }
}
