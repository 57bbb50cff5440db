namespace DiffusionEngine.SingleFile;

/// <summary>
/// A CLIP ViT-L text encoder stored with transformers' <c>CLIPTextModel</c> names under a prefix (SD 1.x's
/// <c>cond_stage_model.transformer.</c>, SDXL's <c>conditioner.embedders.0.transformer.</c>): the same names, copied.
/// </summary>
internal sealed class ClipKeyRules(string component, string prefix) : ComponentKeyRules(component, prefix)
{
    /// <summary>transformers' <c>position_ids</c> buffer (always 0..76), which older files saved and the module recomputes.</summary>
    public const string PositionIds = "text_model.embeddings.position_ids";

    public override TensorSource? SourceOf(string targetName) => TensorSource.Copied(Prefix + targetName);

    public override bool IsIgnorable(string fileKey) => fileKey == Prefix + PositionIds;
}
