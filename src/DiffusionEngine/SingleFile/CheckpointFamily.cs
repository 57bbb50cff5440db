namespace DiffusionEngine.SingleFile;

/// <summary>The model families whose single-file checkpoints (original LDM / SGM key layout) this engine recognises.</summary>
internal enum CheckpointFamily
{
    /// <summary>Stable Diffusion 1.x (CompVis LDM layout: <c>model.diffusion_model.</c>, <c>first_stage_model.</c>, <c>cond_stage_model.transformer.</c>).</summary>
    StableDiffusion1,

    /// <summary>Stable Diffusion XL base (SGM layout: <c>conditioner.embedders.0.transformer.</c> CLIP-L, <c>conditioner.embedders.1.model.</c> OpenCLIP bigG).</summary>
    StableDiffusionXL,
}
